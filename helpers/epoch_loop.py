"""The kit's fast training path: whole epochs run as one compiled TensorFlow graph.

``keras.Model.fit`` feeds NumPy arrays through a ``tf.data`` pipeline and returns to Python
after every batch; on a small CPU machine that overhead is as large as the arithmetic of the
curriculum's MLPs. Here the data sit in memory as tensors, each epoch is one ``tf.function``
that gathers shuffled batches and calls the model's own ``train_step`` (so whatever optimizer,
loss and metrics the model was compiled with are used unchanged). Validation runs the model's
``test_step`` the same way, with larger batches (the metrics are sample-weighted means, so the
batch size does not change them).

``benchmarks/bench.py`` measures this path against plain ``fit`` (``benchmarks/results/bench.md``),
``benchmarks/variants.py`` what each part of it buys (``benchmarks/results/variants.md``).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Sequence

import numpy as np

VALIDATION_BATCH_SIZE = 1024
_BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end",
                "on_test_batch_begin", "on_test_batch_end")


def unsupported_reason(model, callbacks: Sequence) -> str | None:
    """Why this model/callbacks pair needs plain ``model.fit`` (``None`` when the fast path applies)."""
    import keras

    if getattr(model, "run_eagerly", False):
        return "the model was compiled with run_eagerly=True"
    for callback in callbacks:
        for hook in _BATCH_HOOKS:
            method = getattr(callback, hook)  # LambdaCallback sets hooks on the instance
            if getattr(method, "__func__", method) is not getattr(keras.callbacks.Callback, hook):
                return f"callback {type(callback).__name__} acts on every batch ({hook})"
    return None


def run_epochs(
    model,
    x: np.ndarray,
    y: np.ndarray,
    *,
    validation_data: tuple[np.ndarray, np.ndarray],
    epochs: int,
    batch_size: int,
    callbacks: Sequence = (),
    seed: int | None = None,
    jit_compile: bool = False,
) -> dict[str, list[float]]:
    """Train a compiled ``model`` like ``model.fit(..., validation_data=...)`` and return its history.

    Batches are reshuffled every epoch (seeded by ``seed``); the last, smaller batch is kept,
    as ``fit`` does. Epoch-level callback hooks run (``on_epoch_end`` with the same log keys
    as ``fit``, ``model.stop_training`` is honoured); batch-level hooks do not, see
    :func:`unsupported_reason`. ``jit_compile`` compiles the per-batch step with XLA; it is off
    because on CPU it is no faster for plain Dense networks once Adam is fused, and several times
    slower with BatchNormalization and Dropout (``benchmarks/results/variants.md``).
    """
    import keras
    import tensorflow as tf

    x_val, y_val = validation_data
    n = len(x)
    steps = -(-n // batch_size)
    features, labels = _as_tensor(x), _as_tensor(y)
    val_features, val_labels = _as_tensor(x_val), _as_tensor(y_val)
    if hasattr(model, "_symbolic_build"):  # build metrics, loss and optimizer outside the graph
        model._symbolic_build(data_batch=(x[:batch_size], y[:batch_size]))

    train_step = tf.function(model.train_step, jit_compile=jit_compile, reduce_retracing=True, autograph=False)
    test_step = tf.function(model.test_step, reduce_retracing=True, autograph=False)

    # explicit while loops, no AutoGraph: nothing depends on reading this file's source
    @tf.function(autograph=False)
    def train_epoch(order):
        def body(i):
            batch = order[i * batch_size:tf.minimum((i + 1) * batch_size, n)]
            train_step((tf.gather(features, batch), tf.gather(labels, batch)))
            return (i + 1,)
        tf.while_loop(lambda i: i < steps, body, (tf.constant(0),))

    val_n = len(x_val)
    val_steps = -(-val_n // VALIDATION_BATCH_SIZE)

    @tf.function(autograph=False)
    def evaluate():
        def body(i):
            start = i * VALIDATION_BATCH_SIZE
            stop = tf.minimum(start + VALIDATION_BATCH_SIZE, val_n)
            test_step((val_features[start:stop], val_labels[start:stop]))
            return (i + 1,)
        tf.while_loop(lambda i: i < val_steps, body, (tf.constant(0),))

    with _quiet_retracing_warnings():
        return _train(model, train_epoch, evaluate, rng=np.random.default_rng(seed), n=n, epochs=epochs,
                      callback_list=keras.callbacks.CallbackList(
                          list(callbacks), add_history=True, add_progbar=False, model=model, verbose=0,
                          epochs=epochs, steps=steps))


def _train(model, train_epoch, evaluate, *, rng, n: int, epochs: int, callback_list) -> dict[str, list[float]]:
    import tensorflow as tf

    model.stop_training = False
    callback_list.on_train_begin()
    for epoch in range(epochs):
        callback_list.on_epoch_begin(epoch)
        model.reset_metrics()
        train_epoch(tf.constant(rng.permutation(n).astype(np.int32)))
        logs = _results(model)
        model.reset_metrics()
        evaluate()
        logs.update({f"val_{key}": value for key, value in _results(model).items()})
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callback_list.on_train_end()
    return model.history.history


@contextlib.contextmanager
def _quiet_retracing_warnings():
    """Each run traces its own functions once; TensorFlow warns about that after a few models."""
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(max(level, logging.ERROR))
    try:
        yield
    finally:
        logger.setLevel(level)


def _as_tensor(array: np.ndarray):
    import tensorflow as tf

    array = np.asarray(array)
    return tf.constant(array.astype(np.float32, copy=False) if np.issubdtype(array.dtype, np.floating) else array)


def _results(model) -> dict[str, float]:
    return {key: float(value) for key, value in model.get_metrics_result().items()}
