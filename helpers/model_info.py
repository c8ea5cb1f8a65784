"""What a built Keras model contains: its parameter counts (no model is built here)."""

from __future__ import annotations

import keras


def parameter_counts(model: keras.Model) -> dict[str, int]:
    """``{"total", "trainable", "non_trainable"}`` parameter counts of a built model."""
    trainable = int(sum(int(w.numpy().size) for w in model.trainable_weights))
    non_trainable = int(sum(int(w.numpy().size) for w in model.non_trainable_weights))
    return {"total": trainable + non_trainable, "trainable": trainable, "non_trainable": non_trainable}

