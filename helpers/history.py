"""Read what ``model.fit`` returned: a ``keras.callbacks.History``, or its ``.history`` dict."""

from __future__ import annotations

from typing import Any, Mapping

METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")


def is_history(value: Any) -> bool:
    """A ``History`` (or anything with a ``.history`` dict of per-epoch lists, such as a training record)."""
    return isinstance(getattr(value, "history", None), Mapping)


def per_epoch(value: Any) -> dict[str, list[float]]:
    """The per-epoch lists of ``value``: a ``History``, its ``.history`` dict or a training record.

    Raises ``TypeError`` with a student's message for anything else.
    """
    history = value.history if is_history(value) else value
    if not isinstance(history, Mapping) or not all(isinstance(v, (list, tuple)) for v in history.values()):
        raise TypeError(f"expected what model.fit returns (a History), got {type(value).__name__}: "
                        "keep the result of fit, e.g. history = model.fit(...)")
    return {str(key): [float(v) for v in values] for key, values in history.items()}


def final(value: Any, metric: str) -> float:
    """The last epoch's value of ``metric`` (e.g. ``"val_accuracy"``)."""
    lists = per_epoch(value)
    if not lists.get(metric):
        raise KeyError(f"the History has no {metric!r} (it has {', '.join(lists) or 'nothing'}): compile with "
                       "metrics=['accuracy'] and pass validation_data to fit")
    return lists[metric][-1]
