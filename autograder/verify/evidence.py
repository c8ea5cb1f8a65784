"""Read what the sandbox wrote as data only: no pickles, no symlinks, no custom Keras objects."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MAX_FILE_BYTES = 256 * 2**20


class Unusable(Exception):
    """An artifact is missing or cannot be read safely; the message says which, in a student's words."""


def _regular_file(path: Path) -> Path:
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise Unusable(f"{path.name} is not a regular file")
    if not path.is_file():
        raise Unusable(f"{path.stem} was not saved (the cell that makes it did not run or failed)")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise Unusable(f"{path.name} is larger than {MAX_FILE_BYTES // 2**20} MB")
    return path


def load_model(path: Path):
    """A Keras model from a ``.keras`` file in safe mode: Lambda layers and unregistered classes are refused."""
    import keras

    try:
        return keras.saving.load_model(_regular_file(path), compile=False, safe_mode=True)
    except Unusable:
        raise
    except Exception as error:  # noqa: BLE001 - whatever the file holds, it is not a plain Keras model
        detail = str(error).replace(str(path.parent) + "/", "")[:160]  # no grader paths in a student's feedback
        raise Unusable(f"{path.stem} is not a model built from standard Keras layers "
                       f"({type(error).__name__}: {detail})") from None


@dataclass(frozen=True)
class Folder:
    """One folder of artifacts (the notebook's, or a probe's outputs)."""

    root: Path

    def array(self, name: str) -> np.ndarray:
        try:
            return np.load(_regular_file(self.root / f"{name}.npy"), allow_pickle=False)
        except Unusable:
            raise
        except Exception as error:  # noqa: BLE001
            raise Unusable(f"{name} is not a plain numeric array ({type(error).__name__})") from None

    def model(self, name: str):
        return load_model(self.root / f"{name}.keras")

    def models(self, name: str) -> dict[str, Any]:
        """A dict or list of models saved under one name, by key (list indices as strings)."""
        folder = self.root / name
        if folder.is_symlink() or not folder.is_dir():
            raise Unusable(f"{name} was not saved as a collection of models")
        keys = self.json(f"{name}/index")
        if not isinstance(keys, list):
            raise Unusable(f"{name}: unreadable index")
        return {str(key): load_model(folder / f"{index}.keras") for index, key in enumerate(keys)}

    def json(self, name: str) -> Any:
        try:
            return json.loads(_regular_file(self.root / f"{name}.json").read_text())
        except Unusable:
            raise
        except Exception as error:  # noqa: BLE001
            raise Unusable(f"{name} is not readable ({type(error).__name__})") from None


@dataclass(frozen=True)
class Record:
    """The fields of a training record the checks use, validated."""

    name: str
    val_accuracy: float
    train_accuracy: float
    extra: dict
    val_loss: float = float("nan")

    @classmethod
    def parse(cls, value: Any, what: str) -> "Record":
        try:
            data = value["record"]
            record = cls(name=str(data["name"]), val_accuracy=float(data["val_accuracy"]),
                         train_accuracy=float(data["train_accuracy"]), extra=dict(data.get("extra") or {}),
                         val_loss=float(data.get("val_loss", "nan")))
        except (TypeError, KeyError, ValueError):
            raise Unusable(f"{what} is not a training record made by training.fit") from None
        return record

    def extra_number(self, key: str) -> float:
        """``extra[key]`` as a number; NaN (equal to nothing) when it is missing or not a number."""
        value = self.extra.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            return float("nan")
        try:
            return float(value)
        except ValueError:
            return float("nan")


def records(folder: Folder, name: str) -> list[Record]:
    value = folder.json(name)
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise Unusable(f"{name} is not a list of training records")
    return [Record.parse(v, f"{name}[{i}]") for i, v in enumerate(value)]


def one_record(folder: Folder, name: str) -> Record:
    """The single training record saved under ``name``."""
    found = records(folder, name)
    if len(found) != 1:
        raise Unusable(f"{name} must be one training record (the one training.fit returned), not {len(found)}")
    return found[0]


@dataclass(frozen=True)
class Table:
    """A comparison table as saved: headers and rows of strings."""

    field_names: list[str]
    rows: list[list[str]]

    @classmethod
    def read(cls, folder: Folder, name: str) -> "Table":
        value = folder.json(name)
        try:
            table = value["table"]
            headers, rows = [str(h) for h in table["field_names"]], [[str(c) for c in row] for row in table["rows"]]
        except (TypeError, KeyError):
            raise Unusable(f"{name} is not a table made by tables.comparison_table") from None
        for number, row in enumerate(rows, 1):
            if len(row) != len(headers):
                raise Unusable(f"{name}: row {number} has {len(row)} cells for {len(headers)} columns")
        return cls(headers, rows)

    def column(self, header: str) -> list[str]:
        headers = [h.strip().lower() for h in self.field_names]
        if header not in headers:
            raise Unusable(f"the table has no {header!r} column (it has {', '.join(self.field_names)})")
        return [row[headers.index(header)] for row in self.rows]
