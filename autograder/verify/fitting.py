"""Checks of a model the student compiled and trained with Keras' ``fit``, shared by the assignments that train."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from autograder.verify.artifacts import Compiled, History, Unusable
from autograder.verify.rules import accuracy, require


def check_compiled(name: str, store: str, path: Path) -> None:
    """The model saved at ``path`` (``store[name]`` in the notebook) was compiled with Adam at its default learning
    rate, categorical cross-entropy and the accuracy metric."""
    try:
        compiled = Compiled.read(path)
    except Unusable:
        raise Unusable(f"{store}[{name!r}] was never compiled: keep the model you compiled and trained") from None
    require(compiled.optimizer == "adam" and abs(compiled.learning_rate - 1e-3) < 1e-9
            and compiled.loss == "categorical_crossentropy" and "accuracy" in compiled.metrics,
            f"{name} is compiled with {compiled.optimizer} (learning rate {compiled.learning_rate:g}), loss "
            f"{compiled.loss!r} and metrics {list(compiled.metrics)}: compile with optimizer=\"adam\", "
            "loss=\"categorical_crossentropy\" and metrics=[\"accuracy\"]")


def check_fit(name: str, store: str, model, history: History, x: np.ndarray, y: np.ndarray, *, epochs: int,
              epochs_setting: str, threshold: float) -> None:
    """``history`` (``store[name]``) is what ``fit`` returned for ``epochs`` epochs, ``model`` reaches ``threshold``
    on the grader's images ``x``/``y``, and the History ends where the model is."""
    require(history.epochs == epochs, f"{store}[{name!r}]: fit was asked for {history.epochs} epochs; the grader's "
            f"budget says {epochs}: train with epochs={epochs_setting}")
    measured = accuracy(model, x, y)
    require(measured >= threshold, f"{name} reaches {measured:.1%} on the grader's test images: is it trained?")
    require(abs(history.val_accuracy - measured) < 0.02, f"{store}[{name!r}] ends at {history.val_accuracy:.1%} "
            f"validation accuracy, but {name} reaches {measured:.1%} on the grader's images: keep the History of "
            "this model's fit")
