"""Hand results of a notebook to the grader as files (models, arrays, histories, records, tables).

When a notebook is graded, the grader sets ``NNLAB_ARTIFACTS`` to a folder of the sandbox; the
test cells save what the grader's verifier re-checks there, outside the student's kernel. When
the variable is not set (a student working in JupyterLab), saving does nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from helpers.history import is_history, per_epoch

FOLDER_VARIABLE = "NNLAB_ARTIFACTS"


def folder() -> Path | None:
    """The grader's artifact folder, or ``None`` outside grading."""
    value = os.environ.get(FOLDER_VARIABLE)
    return Path(value) if value else None


def _is_model(value: Any) -> bool:
    return hasattr(value, "save") and hasattr(value, "layers")


def _is_table(value: Any) -> bool:
    return hasattr(value, "field_names") and hasattr(value, "rows")


def _is_record(value: Any) -> bool:
    return hasattr(value, "to_dict") and hasattr(value, "val_accuracy")


def _plain(value: Any) -> Any:
    """A JSON-ready form of records, histories, tables and plain values."""
    if _is_record(value):
        return {"record": value.to_dict()}
    if is_history(value):
        return {"history": per_epoch(value), "params": {k: v for k, v in dict(getattr(value, "params", None) or {}).items()
                                                        if isinstance(v, (int, float, str))}}
    if _is_table(value):
        return {"table": {"field_names": [str(h) for h in value.field_names],
                          "rows": [[str(cell) for cell in row] for row in value.rows]}}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def _save_one(path: Path, value: Any) -> None:
    if _is_model(value):
        value.save(path.with_suffix(".keras"))
    elif isinstance(value, np.ndarray):
        np.save(path.with_suffix(".npy"), value, allow_pickle=False)
    elif isinstance(value, Mapping) and value and all(_is_model(v) for v in value.values()):
        path.mkdir(exist_ok=True)
        keys = list(value)
        for index, key in enumerate(keys):
            value[key].save(path / f"{index}.keras")
        (path / "index.json").write_text(json.dumps([str(k) for k in keys]))
    elif isinstance(value, (list, tuple)) and value and all(_is_model(v) for v in value):
        path.mkdir(exist_ok=True)
        for index, model in enumerate(value):
            model.save(path / f"{index}.keras")
        (path / "index.json").write_text(json.dumps([str(i) for i in range(len(value))]))
    elif isinstance(value, (list, tuple)):
        path.with_suffix(".json").write_text(json.dumps([_plain(v) for v in value], default=str))
    else:
        path.with_suffix(".json").write_text(json.dumps(_plain(value), default=str))


def save(namespace: Mapping[str, Any], *names: str) -> None:
    """Save each named value of ``namespace`` that exists (models, arrays, histories, records, tables, lists of them)."""
    target = folder()
    if target is None:
        return
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        if name in namespace:
            try:
                _save_one(target / name, namespace[name])
            except Exception:  # noqa: BLE001 - an unsaveable value is simply missing for the verifier
                pass
