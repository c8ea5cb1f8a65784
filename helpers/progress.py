"""Progress bars that stay readable both in notebooks and in the grader's plain-text logs."""

from __future__ import annotations

import sys
from typing import Iterable, TypeVar

import keras
from tqdm import tqdm

T = TypeVar("T")


def _bar_options() -> dict:
    # In a log (no terminal, e.g. under the autograder) update rarely so logs stay short.
    interactive = sys.stderr.isatty() or "ipykernel" in sys.modules
    return {"mininterval": 0.5 if interactive else 30.0, "dynamic_ncols": True, "leave": True}


def progress(items: Iterable[T], *, desc: str, total: int | None = None) -> Iterable[T]:
    """Wrap an iterable in a progress bar."""
    return tqdm(items, desc=desc, total=total, **_bar_options())


class EpochProgress(keras.callbacks.Callback):
    """One progress bar per training run, advanced once per epoch, with the latest metrics."""

    def __init__(self, name: str, epochs: int):
        super().__init__()
        self.name = name
        self.epochs = epochs
        self.bar = None

    def on_train_begin(self, logs=None):
        self.bar = tqdm(total=self.epochs, desc=self.name, unit="epoch", **_bar_options())

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        shown = {k: f"{v:.4f}" for k, v in logs.items() if k in ("accuracy", "val_accuracy", "loss", "val_loss")}
        self.bar.set_postfix(shown, refresh=False)
        self.bar.update(1)

    def on_train_end(self, logs=None):
        if self.bar is not None:
            self.bar.close()
