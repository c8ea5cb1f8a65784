"""Small checks the per-assignment verifiers share; each raises :class:`Failed` with a message for the student."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from helpers import tables
from helpers.checks import wrong_batchnorm_momenta


class Failed(Exception):
    """The grader's check failed; the message says what is wrong."""


def require(condition: bool, message: str) -> None:
    if not condition:
        raise Failed(message)


def parameters(model) -> tuple[int, int]:
    """(total, non-trainable) parameter counts."""
    total = sum(int(np.prod(w.shape)) for w in model.weights)
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return total, non_trainable


def tokens(model) -> list[str]:
    """The model's layers as words, a Dense layer's activation as its own word: "Dense(512)", "relu", "BN", ...

    ``Dense(64, activation="relu")`` and ``Dense(64)`` followed by ``Activation("relu")`` read the same.
    """
    words = []
    for layer in model.layers:
        kind = type(layer).__name__
        activation = getattr(getattr(layer, "activation", None), "__name__", None)
        if kind == "InputLayer":
            continue
        if kind == "Dense":
            words.append(f"Dense({layer.units})")
        elif kind == "Conv2D":
            words.append(f"Conv2D({layer.filters})")
        elif kind == "Dropout":
            words.append(f"Dropout({layer.rate:g})")
        elif kind == "BatchNormalization":
            words.append("BN")
        elif kind == "Activation":
            words.append(activation or "?")
            continue
        elif kind in ("MaxPooling2D", "Flatten"):
            words.append(kind)
        else:
            words.append(kind)
        if activation and activation != "linear" and kind != "Activation":
            words.append(activation)
    return words


PREDICT_BATCH = 1024


def probabilities(model, x: np.ndarray) -> np.ndarray:
    """A student's model's class probabilities for each of the grader's images.

    The model is called directly, batch by batch (``predict`` would trace a function for every model). A model
    that cannot run on these images fails the test: that is the student's mistake, not the grader's failure.
    """
    try:
        found = np.concatenate([np.asarray(model(x[start:start + PREDICT_BATCH], training=False))
                                for start in range(0, len(x), PREDICT_BATCH)])
    except Exception as error:  # noqa: BLE001 - whatever the model does with these images, it cannot be judged
        raise Failed(f"the model cannot be run on the grader's images of shape {x.shape[1:]} "
                     f"({type(error).__name__}: {str(error).splitlines()[0][:160]})") from None
    require(found.shape == (len(x), 10), f"the model outputs shape {found.shape[1:]}, expected (10,)")
    return found


def predictions(model, x: np.ndarray) -> np.ndarray:
    """A student's model's class for each of the grader's images."""
    return np.argmax(probabilities(model, x), axis=1)


def labels(y: np.ndarray) -> np.ndarray:
    return np.argmax(y, axis=1) if np.ndim(y) == 2 else np.asarray(y).reshape(-1)


def accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    """Accuracy measured here, on the grader's data."""
    return float(np.mean(predictions(model, x) == labels(y)))


def cross_entropy(model, x: np.ndarray, y: np.ndarray) -> float:
    """Mean categorical cross-entropy on one-hot ``y``, as Keras computes it (probabilities clipped to [1e-7, 1 - 1e-7])."""
    clipped = np.clip(probabilities(model, x).astype("float64"), 1e-7, 1 - 1e-7)
    return float(np.mean(-np.sum(y * np.log(clipped), axis=1)))


def require_batchnorm_momentum(call: str, model, momentum: float) -> None:
    """Every BatchNormalization layer of ``model`` (what ``call`` built) has the budget's ``momentum``."""
    wrong = wrong_batchnorm_momenta(model, momentum)
    require(not wrong, f"{call} has BatchNormalization layers with momentum {', '.join(f'{m:g}' for m in wrong)}; "
            f"the grader's budget's is {momentum:g}: write BatchNormalization(momentum=BUDGET.batchnorm_momentum)")


def declines(accuracies: Sequence[float], tolerance: float) -> bool:
    acc = list(accuracies)
    return acc[-1] < acc[0] and all(b <= a + tolerance for a, b in zip(acc, acc[1:]))


def distinct_weights(models: Sequence) -> bool:
    """True when no two models share their weights (each was built and trained on its own)."""
    fingerprints = [tuple(float(np.asarray(w).ravel()[:64].sum()) for w in m.get_weights()) for m in models]
    return len(set(fingerprints)) == len(fingerprints)


def matches(words: Sequence[str], pattern: Sequence[str | frozenset]) -> bool:
    """``words`` follow ``pattern``: a string is one word, a frozenset its words in any order."""
    position = 0
    for item in pattern:
        size = 1 if isinstance(item, str) else len(item)
        chunk = list(words[position:position + size])
        if (chunk != [item]) if isinstance(item, str) else (sorted(chunk) != sorted(item)):
            return False
        position += size
    return position == len(words)


def hidden_block(layer: str, batchnorm: bool, dropout: float = 0.0) -> list[str | frozenset]:
    """A layer, its ReLU and optional BatchNorm (either order), optional Dropout."""
    block: list[str | frozenset] = [layer, frozenset({"relu", "BN"}) if batchnorm else "relu"]
    return block + ([f"Dropout({dropout:g})"] if dropout else [])


def describe(pattern: Sequence[str | frozenset]) -> str:
    return " → ".join(item if isinstance(item, str) else "{" + " and ".join(sorted(item)) + " in either order}"
                      for item in pattern)


def number(text: str) -> float:
    """A table cell as a number: "98.49", "98.49%" and "1,234" are read."""
    try:
        return float(str(text).strip().rstrip("%").replace(",", ""))
    except ValueError:
        raise Failed(f"the table value {str(text)[:20]!r} is not a number") from None


def shows(cell: str, expected: float) -> bool:
    """Whether a table cell shows ``expected`` to its printed precision; a cell that shows no number fails saying so."""
    number(cell)
    return tables.shows(cell, expected)


@dataclass(frozen=True)
class Column:
    """A table column holding a History's ``attribute`` times ``scale``, to the precision the cell is printed with."""

    attribute: str
    scale: float = 100.0


VAL_ACCURACY = MappingProxyType({"val acc (%)": Column("val_accuracy")})


def table_matches_histories(table, key_column: str, found: Mapping[Any, Any], *, key: Callable[[str], Any] = str,
                            columns: Mapping[str, Column] = VAL_ACCURACY) -> None:
    """One row per History of ``found`` (rows found by ``key_column``); each of ``columns`` shows its value."""
    keys = [key(cell.strip()) for cell in table.column(key_column)]
    require(sorted(map(str, keys)) == sorted(map(str, found)),
            f"the table's {key_column!r} column lists {', '.join(map(str, keys))[:200]}; expected one row for each "
            f"of {', '.join(map(str, found))[:200]}")
    for header, column in columns.items():
        for row_key, cell in zip(keys, table.column(header)):
            expected = column.scale * getattr(found[row_key], column.attribute)
            require(shows(cell, expected),
                    f"the table's {header!r} for {row_key} is {cell.strip()}, but its History ends at {expected:.4f}")
