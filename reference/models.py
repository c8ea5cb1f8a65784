"""Reference builders of every architecture of the curriculum (the graded steps' answers: never shipped to students)."""

from __future__ import annotations

from typing import Sequence

import keras
from keras import layers

Initializer = str | keras.initializers.Initializer


def mlp(
    hidden: Sequence[int] = (512, 512),
    *,
    dropout: float = 0.0,
    batchnorm: bool = False,
    batchnorm_momentum: float = 0.99,
    input_dim: int = 784,
    n_classes: int = 10,
    initializer: Initializer = "glorot_uniform",
    name: str | None = None,
) -> keras.Model:
    """Dense ReLU layers of widths ``hidden`` and a softmax output.

    With ``batchnorm`` each hidden layer is Dense -> BatchNormalization -> ReLU; ``dropout``
    (if > 0) follows every hidden activation; ``batchnorm_momentum`` is the BatchNormalization momentum (the
    budget's in assignment 2). ``mlp((512, 512), dropout=0.2)`` is the
    assignment's 669,706-parameter "MLNN".
    """
    inputs = keras.Input(shape=(input_dim,), name="pixels")
    x = inputs
    for i, width in enumerate(hidden, start=1):
        x = _dense_block(x, width, i, batchnorm=batchnorm, dropout=dropout, initializer=initializer,
                         momentum=batchnorm_momentum)
    outputs = layers.Dense(n_classes, activation="softmax", name="softmax")(x)
    return keras.Model(inputs, outputs, name=name or _mlp_name(hidden, batchnorm, dropout))


def _dense_block(x, width: int, index: int, *, batchnorm: bool, dropout: float,
                 initializer: Initializer = "glorot_uniform", momentum: float = 0.99):
    """Dense -> [BatchNormalization] -> ReLU -> [Dropout], the hidden block of every model."""
    x = layers.Dense(width, kernel_initializer=_initializer(initializer, index), name=f"dense_{index}")(x)
    if batchnorm:
        x = layers.BatchNormalization(momentum=momentum, name=f"batchnorm_{index}")(x)
    x = layers.Activation("relu", name=f"relu_{index}")(x)
    if dropout > 0:
        x = layers.Dropout(dropout, name=f"dropout_{index}")(x)
    return x


def _initializer(initializer: Initializer, layer_index: int) -> Initializer:
    # a fresh initializer object per layer: Keras warns when one seeded instance is reused
    if isinstance(initializer, keras.initializers.Initializer):
        return initializer.__class__.from_config(initializer.get_config())
    return initializer


def _mlp_name(hidden: Sequence[int], batchnorm: bool, dropout: float) -> str:
    suffix = ("_bn" if batchnorm else "") + (f"_dropout{dropout:g}" if dropout else "")
    return "mlp_" + "-".join(str(w) for w in hidden) + suffix


def cnn(
    filters: Sequence[int] = (32, 64, 128),
    dense: Sequence[int] = (128, 64),
    *,
    batchnorm: bool = False,
    batchnorm_momentum: float = 0.99,
    dropout: float = 0.0,
    input_shape: tuple[int, int, int] = (32, 32, 3),
    n_classes: int = 10,
    name: str | None = None,
) -> keras.Model:
    """Conv blocks (Conv2D 3x3 same + ReLU + MaxPooling2D) then dense ReLU layers and softmax.

    ``cnn()`` is the assignment's 364,426-parameter base CNN; ``cnn((32, 64, 128, 256))`` adds
    the extra block; ``batchnorm=True`` puts BatchNormalization after every conv and hidden
    dense layer (before the ReLU), with momentum ``batchnorm_momentum``.
    """
    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs
    for i, n_filters in enumerate(filters, start=1):
        x = layers.Conv2D(n_filters, 3, padding="same", name=f"conv_{i}")(x)
        if batchnorm:
            x = layers.BatchNormalization(momentum=batchnorm_momentum, name=f"conv_batchnorm_{i}")(x)
        x = layers.Activation("relu", name=f"conv_relu_{i}")(x)
        x = layers.MaxPooling2D(2, name=f"pool_{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    for i, width in enumerate(dense, start=1):
        x = _dense_block(x, width, i, batchnorm=batchnorm, dropout=dropout, momentum=batchnorm_momentum)
    outputs = layers.Dense(n_classes, activation="softmax", name="softmax")(x)
    default_name = "cnn_" + "-".join(str(f) for f in filters) + ("_bn" if batchnorm else "")
    return keras.Model(inputs, outputs, name=name or default_name)
