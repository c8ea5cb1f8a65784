"""Fit a model and record what happened as a small, JSON-serialisable record."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from helpers import epoch_loop
from helpers.budget import Budget, get_budget
from helpers.progress import EpochProgress, progress


@dataclass
class RunRecord:
    """What one training run did: per-epoch history, final metrics, cost and settings."""

    name: str
    history: dict[str, list[float]]
    train_accuracy: float
    val_accuracy: float
    train_loss: float
    val_loss: float
    epochs: int
    batch_size: int
    train_samples: int
    wall_time_s: float
    budget: str
    seed: int | None
    params: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (JSON-serialisable)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunRecord":
        return cls(**data)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and the backend so model initialisation and shuffling repeat."""
    import keras

    keras.utils.set_random_seed(int(seed))


def compile_for_classification(model, *, learning_rate: float = 1e-3) -> None:
    """Adam + categorical cross-entropy + accuracy, as in every assignment.

    The Adam is :class:`helpers.optimizers.FusedAdam`: Keras' Adam computed by one fused kernel.
    """
    from helpers.optimizers import FusedAdam

    model.compile(
        optimizer=FusedAdam(learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )


def _check_xy(x: np.ndarray, y: np.ndarray, model, split: str) -> None:
    expected = tuple(model.input_shape[1:])
    if tuple(x.shape[1:]) != expected:
        hint = " Did you forget to flatten the images (flatten=True)?" if len(expected) == 1 else ""
        raise ValueError(f"{split} images have shape {x.shape[1:]} but the model expects {expected}.{hint}")
    n_classes = model.output_shape[-1]
    if y.ndim != 2 or y.shape[1] != n_classes:
        raise ValueError(
            f"{split} labels have shape {y.shape}; the model outputs {n_classes} classes and is trained "
            f"with categorical cross-entropy, so labels must be one-hot with shape (n, {n_classes}) "
            f"(load with one_hot=True or use keras.utils.to_categorical)."
        )
    if len(x) != len(y):
        raise ValueError(f"{split}: {len(x)} images but {len(y)} labels")
    if np.issubdtype(x.dtype, np.number) and x.size and float(np.max(x)) > 50:
        raise ValueError(f"{split} images reach {float(np.max(x)):.0f}: scale pixels to [0, 1] (divide by 255) first.")


# what is left of a BatchNormalization layer's start values (mean 0, variance 1) after training: momentum ** steps
UNSETTLED_WEIGHT = 0.01


def _batchnorm_layers(model) -> list:
    import keras

    return [layer for layer in model._flatten_layers() if isinstance(layer, keras.layers.BatchNormalization)]


def unsettled_batchnorm(model, steps: int) -> bool:
    """Whether a BatchNormalization layer's moving averages still weigh their start values by more than 1%.

    With momentum 0.99 (Keras' default) that takes about 460 steps; with 0.9 (the short budgets') about 44.
    """
    return any(float(layer.momentum) ** steps > UNSETTLED_WEIGHT for layer in _batchnorm_layers(model))


def _recalibrate_batchnorm(model, x: np.ndarray, *, samples: int = 4096) -> None:
    """Set every BatchNormalization layer's moving mean/variance to its statistics on ``samples`` training images.

    One forward pass in training mode with momentum 0 (the moving statistics become that batch's).
    """
    bn_layers = _batchnorm_layers(model)
    momenta = [layer.momentum for layer in bn_layers]
    chosen = np.random.default_rng(0).permutation(len(x))[:samples]
    try:
        for layer in bn_layers:
            layer.momentum = 0.0
        model(x[np.sort(chosen)], training=True)
    finally:
        for layer, momentum in zip(bn_layers, momenta):
            layer.momentum = momentum


def fit(
    model,
    x_train: np.ndarray,
    y_train: np.ndarray,
    *,
    validation_data: tuple[np.ndarray, np.ndarray],
    name: str | None = None,
    epochs: int | None = None,
    batch_size: int | None = None,
    budget: Budget | None = None,
    seed: int | None = 0,
    verbose: bool = True,
    callbacks: Sequence = (),
    fast: bool = True,
) -> RunRecord:
    """Train ``model`` (compiled for classification if it is not yet) and return a :class:`RunRecord`.

    ``epochs`` and ``batch_size`` default to the active budget (``NNLAB_BUDGET``): MLPs use the
    budget's MLP batch size, models with image-shaped input the CNN one. With ``fast`` (the
    default) whole epochs run as one compiled graph (:mod:`helpers.epoch_loop`); ``fast=False``,
    run_eagerly models and callbacks with per-batch hooks use plain ``model.fit``.
    """
    budget = budget or get_budget()
    x_val, y_val = validation_data
    _check_xy(x_train, y_train, model, "training")
    _check_xy(x_val, y_val, model, "validation")
    is_image_model = len(model.input_shape) > 2
    epochs = epochs or (budget.cifar_epochs if is_image_model else budget.epochs)
    batch_size = batch_size or (budget.cnn_batch_size if is_image_model else budget.mlp_batch_size)
    if seed is not None:
        seed_everything(seed)
    if not model.compiled:
        compile_for_classification(model)
    run_name = name or model.name
    callbacks = [*callbacks, *([EpochProgress(run_name, epochs)] if verbose else [])]
    start = time.perf_counter()
    slow_reason = "fast=False" if not fast else epoch_loop.unsupported_reason(model, callbacks)
    if slow_reason is None:
        history = epoch_loop.run_epochs(
            model, x_train, y_train, validation_data=(x_val, y_val), epochs=epochs, batch_size=batch_size,
            callbacks=callbacks, seed=seed)
    else:
        history = model.fit(
            x_train, y_train, validation_data=(x_val, y_val), epochs=epochs, batch_size=batch_size,
            verbose=0, callbacks=callbacks,
        ).history
    clean = {key: [float(v) for v in values] for key, values in history.items()}
    final = {"accuracy": clean["accuracy"][-1], "val_accuracy": clean["val_accuracy"][-1],
             "loss": clean["loss"][-1], "val_loss": clean["val_loss"][-1]}
    steps = epochs * -(-len(x_train) // batch_size)
    recalibrated = budget.name != "full" and unsettled_batchnorm(model, steps)
    if recalibrated:
        _recalibrate_batchnorm(model, x_train)
        val_loss, val_acc = model.evaluate(x_val, y_val, verbose=0, batch_size=1024)
        final.update(val_accuracy=float(val_acc), val_loss=float(val_loss))
    wall_time = time.perf_counter() - start
    from helpers.model_info import parameter_counts

    return RunRecord(
        name=run_name, history=clean,
        train_accuracy=final["accuracy"], val_accuracy=final["val_accuracy"],
        train_loss=final["loss"], val_loss=final["val_loss"],
        epochs=epochs, batch_size=batch_size, train_samples=int(len(x_train)),
        wall_time_s=round(wall_time, 3), budget=budget.name, seed=seed,
        params=parameter_counts(model),
        extra={"training_path": "keras fit" if slow_reason else "compiled epochs",
               **({"batchnorm_recalibrated": True} if recalibrated else {})},
    )


def sweep(values: Sequence[Any], run_one: Callable[[Any], RunRecord], *, label: str = "sweep") -> list[RunRecord]:
    """Call ``run_one(value)`` for each value (with a progress bar) and return the records in order."""
    done = []
    for value in progress(values, desc=label):
        result = run_one(value)
        result.extra.setdefault("value", value)
        done.append(result)
    return done


def save_records(records: Iterable[RunRecord], path: str | Path) -> None:
    """Write records as a JSON list."""
    Path(path).write_text(json.dumps([r.to_dict() for r in records], indent=1))


def load_records(path: str | Path) -> list[RunRecord]:
    """Read records written by :func:`save_records`."""
    return [RunRecord.from_dict(d) for d in json.loads(Path(path).read_text())]
