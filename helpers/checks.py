"""Assertions that notebook tests call, with messages written for a student.

Every check recomputes what it verifies from the student's function, arrays or model; none
of them trusts a number the student stored.
"""

from __future__ import annotations

import re
from typing import Callable, Sequence

import numpy as np

from helpers.tables import shown_number, shows


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


def check_parameter_counts(model, *, total: int, non_trainable: int = 0, what: str | None = None) -> None:
    """Check the model's total and non-trainable parameter counts; ``what`` names it (e.g. the call that built it)."""
    from helpers.model_info import parameter_counts

    what = what or model.name
    counts = parameter_counts(model)
    if counts["total"] != total:
        _fail(f"{what} has {counts['total']:,} parameters, expected {total:,}: "
              "check the layer widths and that no layer is missing or extra (see model.summary()).")
    if counts["non_trainable"] != non_trainable:
        _fail(f"{what} has {counts['non_trainable']:,} non-trainable parameters, expected {non_trainable:,}: "
              "BatchNormalization layers hold the only non-trainable parameters.")


def structure(model) -> list[str]:
    """The model's layers as a compact list: Dense, BatchNorm, Dropout, Conv2D, MaxPool, Flatten.

    Activation layers are dropped, so ``Dense(relu)`` and ``Dense`` + ``Activation`` compare equal.
    """
    short = {"BatchNormalization": "BatchNorm", "MaxPooling2D": "MaxPool"}
    kinds = [short.get(type(layer).__name__, type(layer).__name__) for layer in model.layers]
    return [k for k in kinds if k not in ("InputLayer", "Activation", "ReLU")]


def wrong_batchnorm_momenta(model, momentum: float) -> list[float]:
    """The momenta other than ``momentum`` that ``model``'s BatchNormalization layers use (none: all is well)."""
    return sorted({float(layer.momentum) for layer in model.layers
                   if type(layer).__name__ == "BatchNormalization" and abs(float(layer.momentum) - momentum) > 1e-9})


def check_batchnorm_momentum(model, momentum: float, *, what: str | None = None) -> None:
    """Every BatchNormalization layer uses ``momentum`` (the budget's: its moving averages settle within it)."""
    wrong = wrong_batchnorm_momenta(model, momentum)
    if wrong:
        _fail(f"{what or model.name} has BatchNormalization layers with momentum {', '.join(f'{m:g}' for m in wrong)}; "
              f"this budget's is {momentum:g}: write BatchNormalization(momentum=BUDGET.batchnorm_momentum).")


def _convolution_blocks(layers: Sequence[str]) -> int:
    return sum(1 for kind in layers if kind == "Conv2D")


def check_structure(model, expected: Sequence[str], *, what: str | None = None) -> None:
    """Check the order of layers (see :func:`structure`); ``what`` names the model."""
    what = what or model.name
    found = structure(model)
    if found == list(expected):
        return
    if "Conv2D" in expected:
        blocks = _convolution_blocks(expected)
        block = "Conv2D → BatchNormalization → MaxPooling2D" if "BatchNorm" in expected else "Conv2D → MaxPooling2D"
        _fail(f"{what} has {_convolution_blocks(found)} convolution blocks, expected {blocks}, each {block}, then "
              f"Flatten and the Dense layers; its layers are {found}, expected {list(expected)}.")
    _fail(f"{what} has layers {found}, expected {list(expected)}: "
          "check the order of Dense, BatchNormalization and Dropout layers.")


def check_output_layer(model, n_classes: int = 10, *, what: str | None = None) -> None:
    """The last layer must output ``n_classes`` softmax probabilities."""
    last = model.layers[-1]
    activation = getattr(getattr(last, "activation", None), "__name__", "")
    if model.output_shape[-1] != n_classes or activation != "softmax":
        _fail(f"the last layer of {what or model.name} must be Dense({n_classes}, activation='softmax').")


def _predicted_and_true(model, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Class indices predicted by ``model`` and the true ones (from one-hot or integer labels)."""
    x = np.asarray(x, dtype="float32")  # called eagerly in batches: predict() retraces for every new model
    predicted = np.concatenate([np.argmax(np.asarray(model(x[i:i + 1024], training=False)), axis=1)
                                for i in range(0, len(x), 1024)]) if len(x) else np.zeros(0, int)
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
              "budget: was it trained on the right data with the right labels?")
    return measured


def check_noise_sweep(models: Sequence, histories: Sequence, scales: Sequence[float], x_val: np.ndarray,
                      y_val: np.ndarray, *, epochs: int, threshold: float, seed: int = 4242) -> list[float]:
    """One new model and its History per scale, in order: each model is evaluated on ``x_val`` plus fresh noise
    of its scale, its History must end near that accuracy, and accuracy must fall as the noise grows.

    Returns the measured accuracies. The grader does the same on its own test images.
    """
    if len(histories) != len(scales) or len(models) != len(scales):
        _fail(f"the sweep holds {len(histories)} Histories and {len(models)} models, expected one of each per scale "
              f"of {list(scales)}.")
    if len({id(m) for m in models}) != len(models):
        _fail("sweep_models holds the same model more than once: build a new model for every scale.")
    rng = np.random.default_rng(seed)
    measured = []
    for scale, model, history in zip(scales, models, histories):
        check_history(history, epochs=epochs, what=f"the History at scale {scale}")
        noisy = (x_val + rng.normal(0.0, scale, np.shape(x_val))).astype("float32")
        acc = accuracy(model, noisy, y_val)
        if abs(acc - final_metric(history, "val_accuracy")) > 0.05:
            _fail(f"at scale {scale} the model reaches {100 * acc:.1f}% on freshly noised test images, but its History "
                  f"ends at {100 * final_metric(history, 'val_accuracy'):.1f}%: append each model with its own History.")
        measured.append(acc)
    if measured[0] < threshold:
        _fail(f"the model at scale {scales[0]} reaches {100 * measured[0]:.1f}%, below the {100 * threshold:.1f}% "
              "expected at this budget: is it trained on the standardised noisy images?")
    check_decline(measured, tolerance=0.03)
    if measured[0] - measured[-1] <= 0.1:
        _fail(f"accuracy falls only from {100 * measured[0]:.1f}% to {100 * measured[-1]:.1f}% across the scales: is "
              "each model trained on images with its own scale of noise?")
    return measured


def check_decline(accuracies: Sequence[float], *, tolerance: float = 0.02) -> None:
    """Accuracy must fall as the noise grows: last < first, and no rise beyond ``tolerance``."""
    acc = list(map(float, accuracies))
    if not acc[-1] < acc[0]:
        _fail(f"accuracy at the largest noise ({acc[-1]:.3f}) is not below the smallest ({acc[0]:.3f}): "
              "is the noise scale actually used in each run?")
    for a, b in zip(acc, acc[1:]):
        if b > a + tolerance:
            _fail(f"accuracy rises from {a:.3f} to {b:.3f} with more noise: check which data each run uses.")


def _loss_name(loss) -> str:
    name = getattr(loss, "name", None) or getattr(loss, "__name__", None) or str(loss)
    return {"CategoricalCrossentropy": "categorical_crossentropy"}.get(name, name)


def check_compiled(model, *, learning_rate: float = 1e-3) -> None:
    """Compiled with Adam (``learning_rate``), categorical cross-entropy and the accuracy metric."""
    if not getattr(model, "compiled", False) or model.optimizer is None:
        _fail("the model is not compiled: call model.compile(optimizer=..., loss=..., metrics=[...]) before fit.")
    optimizer = type(model.optimizer).__name__
    if optimizer != "Adam" or abs(float(model.optimizer.learning_rate.numpy()) - learning_rate) > 1e-9:
        _fail(f"the model is compiled with {optimizer} (learning rate {float(model.optimizer.learning_rate.numpy()):g}); "
              f"use Adam with its default learning rate {learning_rate:g}: optimizer=\"adam\".")
    if _loss_name(model.loss) != "categorical_crossentropy":
        _fail(f"the loss is {_loss_name(model.loss)!r}: with one-hot labels and a softmax output use "
              "loss=\"categorical_crossentropy\".")
    metrics = [getattr(m, "name", m) for m in (model._compile_config.config.get("metrics") or [])] \
        if getattr(model, "_compile_config", None) else []
    if not any(m in ("accuracy", "acc", "categorical_accuracy") for m in map(str, metrics)):
        _fail("compile with metrics=[\"accuracy\"], so that fit reports accuracy as well as the loss.")


def check_history(history, *, epochs: int, what: str = "the History") -> dict[str, list[float]]:
    """``history`` is what ``fit`` returned: per-epoch loss, accuracy and their validation values, ``epochs`` long."""
    from helpers.history import METRICS, per_epoch

    try:
        lists = per_epoch(history)
    except TypeError as error:
        _fail(f"{what}: {error}")
    missing = [m for m in METRICS if m not in lists]
    if missing:
        _fail(f"{what} has no {', '.join(missing)} (it has {', '.join(lists) or 'nothing'}): compile with "
              "metrics=[\"accuracy\"] and pass validation_data=(x_val, y_val) to fit.")
    trained = len(lists["loss"])
    asked = (getattr(history, "params", None) or {}).get("epochs", trained)
    if epochs not in (trained, asked) or trained != asked:
        _fail(f"{what}: fit was asked for {asked} epochs and trained {trained}; train for epochs=BUDGET.epochs "
              f"({epochs} at this budget): the budget decides how long every model trains.")
    return lists


def check_compile_and_fit(compile_and_fit: Callable, *, epochs: int, batch_size: int, n_classes: int = 10) -> None:
    """Call ``compile_and_fit(model, x, y, validation_data)`` on a small model and random data and check what it did.

    The grader makes the same call on its own model and data.
    """
    import keras

    rng = np.random.default_rng(5)
    x, x_val = rng.random((300, 784), dtype="float32"), rng.random((100, 784), dtype="float32")
    y, y_val = (np.eye(n_classes, dtype="float32")[rng.integers(0, n_classes, n)] for n in (300, 100))
    model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(n_classes, activation="softmax")])
    history = compile_and_fit(model, x, y, (x_val, y_val))
    if history is None:
        _fail("compile_and_fit returned None: return what model.fit returns (the History).")
    check_compiled(model)
    check_history(history, epochs=epochs, what="the History compile_and_fit returned")
    steps = int(model.optimizer.iterations.numpy())
    expected = epochs * -(-len(x) // batch_size)
    if steps != expected:
        _fail(f"on 300 images for {epochs} epochs the optimizer took {steps} steps, expected {expected}: train with "
              f"batch_size=BUDGET.mlp_batch_size ({batch_size}) and fit once.")
    val_loss, _ = model.evaluate(x_val, y_val, verbose=0)
    if abs(final_metric(history, "val_loss") - float(val_loss)) > 1e-3 * max(1.0, abs(float(val_loss))):
        _fail("the History's last val_loss is not the model's loss on validation_data: pass "
              "validation_data=validation_data to fit and return the History of that fit.")


def final_metric(history, metric: str) -> float:
    """The last epoch's ``metric`` of a History (or its ``.history`` dict)."""
    from helpers.history import final

    try:
        return final(history, metric)
    except (KeyError, TypeError) as error:
        _fail(str(error).strip("'\""))


def check_trained(model, history, x_val: np.ndarray, y_val: np.ndarray, *, threshold: float, what: str) -> float:
    """``model`` reaches ``threshold`` on ``x_val``/``y_val``, and ``history`` (a History, or a training record) is
    that of its training on them."""
    measured = check_accuracy(model, x_val, y_val, threshold=threshold, what=what)
    reported = float(history.val_accuracy) if hasattr(history, "val_accuracy") else final_metric(history, "val_accuracy")
    if abs(reported - measured) > 0.02:
        _fail(f"the History of {what} ends at {100 * reported:.1f}% validation accuracy, but {what} reaches "
              f"{100 * measured:.1f}% on that validation data: keep the History (or record) of this model's training.")
    return measured


def check_table_matches(table, key: str, runs: dict, columns: dict[str, str]) -> None:
    """Each row of ``table`` shows its run's final values: ``runs`` maps the ``key`` column's value to a History,
    ``columns`` maps a header to a metric (``"(%)"`` in a header means a percentage)."""
    check_table_rows(table, key, {k: {header: final_metric(run, metric) * (100 if "(%)" in header else 1)
                                      for header, metric in columns.items()} for k, run in runs.items()})


def check_table_rows(table, key: str, expected: dict) -> None:
    """One row per key of ``expected`` (found by the ``key`` column), and in it the expected value of each column:
    numbers within rounding, text as written (lists of numbers such as widths in any punctuation)."""
    headers = [str(h).strip().lower() for h in table.field_names]
    wanted = {header for values in expected.values() for header in values}
    for header in (key, *sorted(wanted)):
        if header not in headers:
            _fail(f"the table has no column {header!r} (it has {headers}).")
    by_key = {_cell_key(k): (k, values) for k, values in expected.items()}
    shown = [_cell_key(row[headers.index(key)]) for row in table.rows]
    for row, found in zip(table.rows, shown):
        if found not in by_key:
            _fail(f"the table has a row for {key} {row[headers.index(key)]!r}, which is not one of "
                  f"{sorted(map(str, expected))}.")
        name, values = by_key[found]
        for header, value in values.items():
            cell = row[headers.index(header)]
            if not _same_value(cell, value):
                _fail(f"{key} {name}: {header} shows {cell!r}, but it should be {_shown(value)}.")
    if sorted(shown, key=str) != sorted(by_key, key=str):
        _fail(f"the table must have one row per {key}: {sorted(map(str, expected))}.")


def _cell_key(value):
    number = shown_number(value)
    return number if number == number else str(value).strip()


def _same_value(cell, value) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return shows(cell, value)
    digits = re.findall(r"\d+", str(value))
    if digits:
        return re.findall(r"\d+", str(cell)) == digits
    return str(cell).strip().lower() == str(value).strip().lower()


def _shown(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else repr(value)


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
    """A ``PrettyTable`` with ``rows`` rows and at least the named ``columns``."""
    headers = [str(h).strip().lower() for h in getattr(table, "field_names", [])]
    missing = [c for c in columns if c not in headers]
    if missing:
        _fail(f"the table has no column {', '.join(repr(c) for c in missing)} (it has {headers}): "
              "give PrettyTable the column headers the step asks for.")
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
