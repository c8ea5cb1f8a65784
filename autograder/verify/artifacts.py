"""Read what the sandbox wrote as data only: no pickles, no symlinks, no custom Keras objects."""

from __future__ import annotations

import json
import math
import zipfile
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


MAX_CONFIG_BYTES = 2**20


def compile_config(path: Path) -> dict:
    """The ``compile_config`` a ``.keras`` file holds (optimizer, loss, metrics), read as JSON: nothing is built."""
    try:
        with zipfile.ZipFile(_regular_file(path)) as archive:
            info = archive.getinfo("config.json")
            if info.file_size > MAX_CONFIG_BYTES:
                raise Unusable(f"{path.stem}: its configuration is larger than {MAX_CONFIG_BYTES // 1024} kB")
            found = json.loads(archive.read(info)).get("compile_config")
    except Unusable:
        raise
    except Exception as error:  # noqa: BLE001 - whatever the file holds, it is not a saved Keras model
        raise Unusable(f"{path.stem} is not a saved Keras model ({type(error).__name__})") from None
    if not isinstance(found, dict) or not found.get("optimizer"):  # Keras writes {} for a model never compiled
        raise Unusable(f"{path.stem} was not compiled (model.compile) when it was saved")
    return found


def _name(value: Any) -> str:
    """``"adam"`` and ``{"class_name": "Adam", ...}`` both as ``"adam"``; losses by their function name."""
    if isinstance(value, dict):
        config = value.get("config")
        value = (config.get("name") if isinstance(config, dict) else None) or value.get("class_name")
    text = str(value).lower()
    return {"categoricalcrossentropy": "categorical_crossentropy", "categorical_accuracy": "accuracy",
            "acc": "accuracy"}.get(text, text)


@dataclass(frozen=True)
class Compiled:
    """What ``model.compile`` chose, from a saved model's configuration."""

    optimizer: str
    learning_rate: float
    loss: str
    metrics: tuple[str, ...]

    @classmethod
    def read(cls, path: Path) -> "Compiled":
        config = compile_config(path)
        optimizer = config.get("optimizer")
        rate = optimizer.get("config", {}).get("learning_rate") if isinstance(optimizer, dict) else None
        metrics = config.get("metrics") or []
        return cls(optimizer=_name(optimizer.get("class_name") if isinstance(optimizer, dict) else optimizer),
                   learning_rate=float(rate) if isinstance(rate, (int, float)) else 1e-3 if optimizer == "adam"
                   else float("nan"),
                   loss=_name(config.get("loss")),
                   metrics=tuple(_name(m) for m in (metrics if isinstance(metrics, list) else [metrics])))


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

    def model_files(self, name: str) -> dict[str, Path]:
        """The ``.keras`` files of a dict or list of models saved under one name, by key (list indices as strings)."""
        folder = self.root / name
        if folder.is_symlink() or not folder.is_dir():
            raise Unusable(f"{name} was not saved as a collection of models")
        keys = self.json(f"{name}/index")
        if not isinstance(keys, list):
            raise Unusable(f"{name}: unreadable index")
        return {str(key): folder / f"{index}.keras" for index, key in enumerate(keys)}

    def models(self, name: str) -> dict[str, Any]:
        """A dict or list of models saved under one name, by key (list indices as strings)."""
        return {key: load_model(path) for key, path in self.model_files(name).items()}

    def json(self, name: str) -> Any:
        try:
            return json.loads(_regular_file(self.root / f"{name}.json").read_text())
        except Unusable:
            raise
        except Exception as error:  # noqa: BLE001
            raise Unusable(f"{name} is not readable ({type(error).__name__})") from None


def named_numbers(folder: Folder, name: str) -> dict[str, float]:
    """The dict of numbers saved under ``name`` (like ``{"base": 41.2}``), by key."""
    value = folder.json(name)
    if not isinstance(value, dict):
        raise Unusable(f"{name} is not a dict of numbers (one per model name)")
    found = {}
    for key, number in value.items():
        if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number):
            raise Unusable(f"{name}[{key!r}] is {str(number)[:40]!r}, not a number")
        found[str(key)] = float(number)
    return found


REPORTED = ("loss", "accuracy", "val_loss", "val_accuracy")


@dataclass(frozen=True)
class History:
    """What ``model.fit`` returned, as saved: one list per metric, one value per epoch."""

    per_epoch: dict[str, list[float]]
    asked_epochs: int | None = None  # what fit was asked for (Keras' history.params["epochs"]), where it was saved

    @classmethod
    def parse(cls, value: Any, what: str) -> "History":
        lists = value.get("history") if isinstance(value, dict) and isinstance(value.get("history"), dict) else value
        if not isinstance(lists, dict) or any(key not in lists for key in REPORTED):
            raise Unusable(f"{what} is not what model.fit returns with metrics=['accuracy'] and validation_data "
                           "(a History with loss, accuracy, val_loss and val_accuracy)")
        try:
            parsed = {key: [float(v) for v in lists[key]] for key in REPORTED}
        except (TypeError, ValueError):
            raise Unusable(f"{what}: its values are not numbers") from None
        lengths = {len(v) for v in parsed.values()}
        if len(lengths) != 1 or 0 in lengths or not all(math.isfinite(v) for vs in parsed.values() for v in vs):
            raise Unusable(f"{what}: its metrics do not cover the same epochs with finite values")
        params = value.get("params") if isinstance(value, dict) and lists is not value else None
        asked = params.get("epochs") if isinstance(params, dict) else None
        return cls(parsed, asked if isinstance(asked, int) and not isinstance(asked, bool) else None)

    @property
    def epochs(self) -> int:
        """Epochs trained, or what fit was asked for where that differs (the grader stops at its budget's)."""
        return self.asked_epochs if self.asked_epochs is not None else self.trained_epochs

    @property
    def trained_epochs(self) -> int:
        """Epochs that ``fit`` trained (one value per metric each)."""
        return len(self.per_epoch["loss"])

    @property
    def train_accuracy(self) -> float:
        return self.per_epoch["accuracy"][-1]

    @property
    def val_accuracy(self) -> float:
        return self.per_epoch["val_accuracy"][-1]

    @property
    def val_loss(self) -> float:
        return self.per_epoch["val_loss"][-1]


def histories(folder: Folder, name: str) -> list[History]:
    """The list of Histories saved under ``name``."""
    value = folder.json(name)
    if not isinstance(value, list):
        raise Unusable(f"{name} is not a list of Histories (one per model, in order)")
    return [History.parse(v, f"{name}[{i}]") for i, v in enumerate(value)]


def named_histories(folder: Folder, name: str) -> dict[str, History]:
    """The dict of Histories saved under ``name``, by key."""
    value = folder.json(name)
    if not isinstance(value, dict) or "history" in value:
        raise Unusable(f"{name} is not a dict of Histories (what fit returned, one per model name)")
    return {str(key): History.parse(v, f"{name}[{key!r}]") for key, v in value.items()}


def one_history(folder: Folder, name: str) -> History:
    """The History saved under ``name``."""
    return History.parse(folder.json(name), name)


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
            raise Unusable(f"{name} is not a PrettyTable") from None
        for number, row in enumerate(rows, 1):
            if len(row) != len(headers):
                raise Unusable(f"{name}: row {number} has {len(row)} cells for {len(headers)} columns")
        return cls(headers, rows)

    def column(self, header: str) -> list[str]:
        headers = [h.strip().lower() for h in self.field_names]
        if header not in headers:
            raise Unusable(f"the table has no {header!r} column (it has {', '.join(self.field_names)})")
        return [row[headers.index(header)] for row in self.rows]
