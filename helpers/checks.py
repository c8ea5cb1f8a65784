"""Assertions that notebook tests call, with messages written for a student.

Every check recomputes what it verifies from the student's function, arrays or model; none
of them trusts a number the student stored.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np


def _fail(message: str) -> None:
    raise AssertionError(message)


def check_noise_function(add_noise: Callable, *, loc: float = 0.0, scale: float = 0.5, seed: int = 123) -> None:
    """Call ``add_noise(images, scale, loc=..., seed=...)`` on fresh inputs and check its behaviour."""
    rng = np.random.default_rng(seed)
    images = rng.random((256, 784)).astype("float32")
    original = images.copy()
    noisy = np.asarray(add_noise(images, scale, loc=loc, seed=seed))
    if not np.array_equal(images, original):
        _fail("add_noise changed its input array: build a new array (images + noise) instead of adding in place.")
    if noisy.shape != images.shape:
        _fail(f"add_noise returned shape {noisy.shape} for input shape {images.shape}: "
              "draw the noise with size=images.shape so every pixel of every image gets noise.")
    noise = noisy.astype("float64") - images
    if np.allclose(noise, 0):
        _fail("add_noise returned the images unchanged: add the noise to the images.")
    if np.allclose(noise[0], noise[1]):
        _fail("noise is identical for images 0 and 1: draw it with size=images.shape, not the shape of one image.")
    if np.allclose(noise[0], noise[0].flat[0]):
        _fail("every pixel of image 0 got the same noise value: draw one sample per pixel (size=images.shape).")
    if np.allclose(noise[:, 0], noise[0, 0]):
        _fail("every image got the same noise value at pixel 0: draw one sample per pixel (size=images.shape).")
    mean, std = float(noise.mean()), float(noise.std())
    if abs(mean - loc) > 0.02 + 0.05 * scale or abs(std - scale) > 0.05 * scale + 1e-6:
        _fail(f"noise has mean {mean:.3f} and std {std:.3f}, expected loc={loc} and scale={scale}: "
              "pass loc and scale to np.random.normal(loc, scale, size) in that order.")
    again = np.asarray(add_noise(images, scale, loc=loc, seed=seed))
    if not np.array_equal(noisy, again):
        _fail("add_noise with the same seed gave different results: create the generator from seed "
              "(rng = np.random.default_rng(seed)) and draw from it.")
    other = np.asarray(add_noise(images, scale, loc=loc, seed=seed + 1))
    if np.array_equal(noisy, other):
        _fail("add_noise gave the same noise for two different seeds: use the seed argument.")
    zero = np.asarray(add_noise(images, 0.0, loc=0.0, seed=seed))
    if not np.allclose(zero, images, atol=1e-6):
        _fail("with scale=0 add_noise should return the images unchanged.")


def check_noised(clean: np.ndarray, noisy: np.ndarray, *, split: str) -> None:
    """Check that ``noisy`` is ``clean`` plus independent noise for each image."""
    clean, noisy = np.asarray(clean), np.asarray(noisy)
    if noisy.shape != clean.shape:
        _fail(f"noisy {split} images have shape {noisy.shape}, the clean ones {clean.shape}: they must match.")
    difference = noisy.astype("float64") - clean
    if np.allclose(difference, 0):
        _fail(f"the noisy {split} images equal the clean ones: add noise to the {split} set too.")
    n = min(len(difference), 50)
    flat = difference[:n].reshape(n, -1)
    if np.any(np.all(np.isclose(flat[1:], flat[0]), axis=1)):
        _fail(f"some {split} images got exactly the same noise as image 0: draw noise with size=x.shape.")


def check_parameter_counts(model, *, total: int, non_trainable: int = 0) -> None:
    """Check the model's total and non-trainable parameter counts."""
    from helpers.model_info import parameter_counts

    counts = parameter_counts(model)
    if counts["total"] != total:
        _fail(f"{model.name} has {counts['total']:,} parameters, expected {total:,}: "
              "check the layer widths and that no layer is missing or extra (see model.summary()).")
    if counts["non_trainable"] != non_trainable:
        _fail(f"{model.name} has {counts['non_trainable']:,} non-trainable parameters, expected {non_trainable:,}: "
              "BatchNormalization layers hold the only non-trainable parameters.")


def structure(model) -> list[str]:
    """The model's layers as a compact list: Dense, BatchNorm, Dropout, Conv2D, MaxPool, Flatten.

    Activation layers are dropped, so ``Dense(relu)`` and ``Dense`` + ``Activation`` compare equal.
    """
    short = {"BatchNormalization": "BatchNorm", "MaxPooling2D": "MaxPool"}
    kinds = [short.get(type(layer).__name__, type(layer).__name__) for layer in model.layers]
    return [k for k in kinds if k not in ("InputLayer", "Activation", "ReLU")]


def check_structure(model, expected: Sequence[str]) -> None:
    """Check the order of layers (see :func:`structure`)."""
    found = structure(model)
    if found != list(expected):
        _fail(f"{model.name} has layers {found}, expected {list(expected)}: "
              "check the order of Dense, BatchNormalization and Dropout layers.")


def check_output_layer(model, n_classes: int = 10) -> None:
    """The last layer must output ``n_classes`` softmax probabilities."""
    last = model.layers[-1]
    activation = getattr(getattr(last, "activation", None), "__name__", "")
    if model.output_shape[-1] != n_classes or activation != "softmax":
        _fail(f"the last layer of {model.name} must be Dense({n_classes}, activation='softmax').")


def _predicted_and_true(model, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Class indices predicted by ``model`` and the true ones (from one-hot or integer labels)."""
    predicted = np.argmax(model.predict(x, verbose=0, batch_size=1024), axis=1)
    return predicted, (np.argmax(y, axis=1) if np.ndim(y) == 2 else np.asarray(y).reshape(-1))


def accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    """Accuracy of ``model`` on ``x``/``y`` (one-hot or integer labels), computed here, not read from history."""
    predicted, truth = _predicted_and_true(model, x, y)
    return float(np.mean(predicted == truth))


def check_accuracy(model, x: np.ndarray, y: np.ndarray, *, threshold: float, what: str) -> float:
    """Evaluate ``model`` and check that it reaches ``threshold``; returns the measured accuracy."""
    measured = accuracy(model, x, y)
    if measured < threshold:
        _fail(f"{what} reaches {100 * measured:.1f}% accuracy, below the {100 * threshold:.1f}% expected at this "
              "budget: was it trained (training.fit) on the right data with the right labels?")
    return measured


def check_sweep(records, scales: Sequence[float]) -> None:
    """A sweep must cover exactly ``scales`` in order, with train and validation accuracy for each."""
    found = [float(r.extra.get("value", float("nan"))) for r in records]
    if found != [float(s) for s in scales]:
        _fail(f"the sweep covers noise scales {found}, expected exactly {list(scales)}.")
    for record in records:
        for label, value in (("train", record.train_accuracy), ("validation", record.val_accuracy)):
            if not 0.0 <= value <= 1.0:
                _fail(f"scale {record.extra['value']}: {label} accuracy {value} is not a fraction in [0, 1].")


def check_decline(accuracies: Sequence[float], *, tolerance: float = 0.02) -> None:
    """Accuracy must fall as the noise grows: last < first, and no rise beyond ``tolerance``."""
    acc = list(map(float, accuracies))
    if not acc[-1] < acc[0]:
        _fail(f"accuracy at the largest noise ({acc[-1]:.3f}) is not below the smallest ({acc[0]:.3f}): "
              "is the noise scale actually used in each run?")
    for a, b in zip(acc, acc[1:]):
        if b > a + tolerance:
            _fail(f"accuracy rises from {a:.3f} to {b:.3f} with more noise: check which data each run uses.")


def check_confusion_matrix(matrix: np.ndarray, y_true: np.ndarray, n_classes: int = 10) -> None:
    """A confusion matrix is ``n_classes`` x ``n_classes``, counts samples, and its rows match the labels."""
    matrix = np.asarray(matrix)
    if matrix.shape != (n_classes, n_classes):
        _fail(f"the confusion matrix has shape {matrix.shape}, expected ({n_classes}, {n_classes}).")
    truth = np.argmax(y_true, axis=1) if np.ndim(y_true) == 2 else np.asarray(y_true).reshape(-1)
    if int(matrix.sum()) != len(truth):
        _fail(f"the confusion matrix counts {int(matrix.sum())} samples, but there are {len(truth)}.")
    if not np.array_equal(matrix.sum(axis=1), np.bincount(truth, minlength=n_classes)):
        _fail("the rows of the confusion matrix do not add up to the number of images of each true class: "
              "rows must be true classes, columns predicted classes.")


def check_table(table, *, rows: int, columns: Sequence[str]) -> None:
    """A table (``tables.comparison_table``) with ``rows`` rows and at least the named ``columns``."""
    headers = [str(h).strip().lower() for h in getattr(table, "field_names", [])]
    missing = [c for c in columns if c not in headers]
    if missing:
        _fail(f"the table has no column {', '.join(repr(c) for c in missing)} (it has {headers}): "
              "make it with tables.comparison_table(records, columns=...).")
    if len(table.rows) != rows:
        _fail(f"the table has {len(table.rows)} rows, expected {rows} (one per trained model).")


def check_weight_spread(weight_spread: Callable) -> None:
    """``weight_spread(model)`` must list the standard deviation of every Dense kernel, in order.

    The model's kernels alternate between -s and +s, so their standard deviations are exactly the ``s``
    chosen here; biases and BatchNorm weights get other values.
    """
    import keras

    model = keras.Sequential([keras.Input(shape=(12,)), keras.layers.Dense(8), keras.layers.BatchNormalization(),
                              keras.layers.Activation("relu"), keras.layers.Dropout(0.5),
                              keras.layers.Dense(5, activation="softmax")])
    expected = [0.3, 2.0]
    values = iter(expected)
    model.set_weights([np.resize(np.array([-1.0, 1.0], "float32") * next(values), w.shape) if w.ndim == 2
                       else np.linspace(-4.0, 7.0, w.size, dtype="float32").reshape(w.shape)
                       for w in model.get_weights()])
    found = np.asarray(weight_spread(model), dtype="float64").reshape(-1)
    if len(found) != len(expected):
        _fail(f"weight_spread returned {len(found)} values for a model with {len(expected)} Dense layers: "
              "one standard deviation per Dense layer's kernel (not per weight array, not for other layers).")
    if not np.allclose(found, expected, rtol=1e-4):
        _fail(f"weight_spread returned {np.round(found, 4).tolist()} for a model whose Dense kernels have standard "
              f"deviations {expected}: use each Dense layer's kernel (its first weight array, not the biases).")


def passed(step: str) -> None:
    """Print a visible confirmation; the last line of every test cell, reached only when all checks above passed."""
    print(f"\u2713 {step}: all checks passed.")
