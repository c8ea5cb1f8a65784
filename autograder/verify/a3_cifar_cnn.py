"""Assignment 3: CNNs on CIFAR-10."""

from __future__ import annotations

import numpy as np

from autograder.verify.evidence import Evidence
from autograder.verify.artifacts import History, Table, Unusable, load_model, named_histories, named_numbers
from autograder.verify.fitting import check_compiled, check_fit
from autograder.verify.probe import Call
from autograder.verify.rules import (Column, describe, hidden_block, labels, matches, parameters, require,
                                     require_batchnorm_momentum, shows, table_matches_histories, tokens)

# (extra_block, batchnorm) -> (total parameters, non-trainable), from the assignment text
PARAMETERS = {(False, False): (364_426, 0), (True, False): (528_522, 0), (False, True): (366_090, 832)}
NAMES = {"base": (False, False), "extra block": (True, False), "base + BN": (False, True)}
CONFUSION_IMAGES = 300
ACCURACIES = {"train acc (%)": Column("train_accuracy"), "val acc (%)": Column("val_accuracy")}


def _call_name(extra: bool, bn: bool) -> str:
    return f"cnn_{int(extra)}_{int(bn)}"


def reference_model():
    """A fixed small classifier whose predictions spread over the classes (for the confusion-matrix check)."""
    import keras

    model = keras.Sequential([keras.Input(shape=(32, 32, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    rng = np.random.default_rng(99)
    model.set_weights([rng.normal(0.0, 0.05, (3072, 10)).astype("float32"), np.zeros(10, "float32")])
    return model


def _confusion_data():
    from helpers import data

    return data.load("cifar10", train_size=10, test_size=CONFUSION_IMAGES, seed=7).test


def inputs() -> dict:
    test = _confusion_data()
    return {"reference": reference_model(), "images": test.x, "labels": test.y}


CALLS = [Call(_call_name(extra, bn), "build_cnn", (), {"extra_block": extra, "batchnorm": bn}, output="model")
         for extra, bn in PARAMETERS] + [
    Call("confusion", "confusion_matrix", ({"keras": "reference.keras"}, {"npy": "images.npy"}, {"npy": "labels.npy"}))]


def _pattern(extra: bool, bn: bool) -> list:
    filters = (32, 64, 128) + ((256,) if extra else ())
    convolutions = [p for f in filters for p in hidden_block(f"Conv2D({f})", bn) + ["MaxPooling2D"]]
    dense = [p for units in (128, 64) for p in hidden_block(f"Dense({units})", bn)]
    return convolutions + ["Flatten"] + dense + ["Dense(10)", "softmax"]


def check_build_cnn(evidence: Evidence) -> None:
    for (extra, bn), expected in PARAMETERS.items():
        call = f"build_cnn(extra_block={extra}, batchnorm={bn})"
        try:
            model = evidence.probe.model(_call_name(extra, bn))
        except Unusable as reason:
            raise Unusable(f"{call}: {reason}") from None
        require(parameters(model) == expected, f"{call} has {parameters(model)[0]:,} parameters "
                f"({parameters(model)[1]:,} non-trainable), expected {expected[0]:,} ({expected[1]:,})")
        pattern = _pattern(extra, bn)
        found = tokens(model)
        block = "Conv2D → BatchNorm and ReLU (either order) → MaxPooling2D" if bn else "Conv2D → ReLU → MaxPooling2D"
        require(matches(found, pattern), f"{call} has {found.count('MaxPooling2D')} convolution blocks and "
                f"{sum(t.startswith('Conv2D') for t in found)} Conv2D layers, expected {3 + extra} blocks of {block} "
                f"(filters 32, 64, 128{', 256' if extra else ''}), then Flatten and the Dense layers; its layers: "
                f"{' → '.join(found)}, expected {describe(pattern)}")
        convolutions = [layer for layer in model.layers if type(layer).__name__ == "Conv2D"]
        require(all(tuple(c.kernel_size) == (3, 3) and c.padding == "same" for c in convolutions),
                f"{call}: use 3x3 kernels with padding='same'")
        require_batchnorm_momentum(call, model, evidence.budget.batchnorm_momentum)


def _histories(evidence: Evidence) -> dict[str, History]:
    found = named_histories(evidence.notebook, "histories")
    require(set(found) == set(NAMES), f"histories must hold what fit returned for each of the three models, keyed "
            f"{sorted(NAMES)}; it holds {sorted(found)}")
    return found


def _fit_seconds(evidence: Evidence) -> dict[str, float]:
    seconds = named_numbers(evidence.notebook, "fit_seconds")
    require(set(seconds) == set(NAMES), f"fit_seconds must hold the seconds of each model's fit, keyed {sorted(NAMES)}; "
            f"it holds {sorted(seconds)}")
    for name, value in seconds.items():
        require(value > 0, f"fit_seconds[{name!r}] is {value:g}: the seconds its fit took (time.perf_counter() "
                "after fit minus before)")
    return seconds


def check_trained(evidence: Evidence) -> None:
    cifar = evidence.dataset("cifar10")
    files = evidence.notebook.model_files("cnns")
    require(set(files) == set(NAMES), f"cnns must hold the three models {sorted(NAMES)}; it holds {sorted(files)}")
    found = _histories(evidence)
    _fit_seconds(evidence)
    for name, (extra, bn) in NAMES.items():
        model = load_model(files[name])
        words = tokens(model)
        require(sum(w.startswith("Conv2D") for w in words) == (4 if extra else 3) and ("BN" in words) == bn,
                f"cnns[{name!r}] is not the {name} model")
        check_compiled(name, "cnns", files[name])
        check_fit(name, "histories", model, found[name], cifar.test.x, cifar.test.y, epochs=evidence.budget.cifar_epochs,
                  epochs_setting="BUDGET.cifar_epochs", threshold=evidence.threshold("cifar_cnn"))


def check_results_table(evidence: Evidence) -> None:
    table = Table.read(evidence.notebook, "results_table")
    found = _histories(evidence)
    seconds = _fit_seconds(evidence)
    table_matches_histories(table, "model", found, columns=ACCURACIES)
    for name, count, per_epoch in zip(table.column("model"), table.column("parameters"), table.column("s per epoch")):
        name = name.strip()
        expected = PARAMETERS[NAMES[name]][0]
        require(shows(count, expected), f"the table's row {name!r} shows {count.strip()} parameters; its model has "
                f"{expected:,} (model.count_params())")
        trained_epochs = found[name].trained_epochs
        require(shows(per_epoch, seconds[name] / trained_epochs),
                f"the table's 's per epoch' for {name} is {per_epoch.strip()}, but fit_seconds[{name!r}] / epochs is "
                f"{seconds[name]:.1f} / {trained_epochs} = {seconds[name] / trained_epochs:.2f}")


def check_confusion(evidence: Evidence) -> None:
    test = _confusion_data()
    matrix = evidence.probe.array("confusion")
    require(matrix.shape == (10, 10), f"confusion_matrix returned shape {matrix.shape}, expected (10, 10)")
    # the grader's model, through `predict` as a student's confusion_matrix calls it (the counts must match exactly)
    truth, predicted = labels(test.y), np.argmax(reference_model().predict(test.x, verbose=0, batch_size=1024), axis=1)
    expected = np.bincount(truth * 10 + predicted, minlength=100).reshape(10, 10)
    if np.array_equal(matrix, expected.T) and not np.array_equal(matrix, expected):
        raise Unusable("the matrix is transposed: rows must be true classes, columns predicted classes")
    require(np.array_equal(matrix, expected), "the counts do not match the model's predictions on the grader's images "
            "(rows: true class, columns: predicted class)")


# later tests the student wrote code for -> {earlier function test: its cell id} (see rescue.py)
RESCUE = {"test_trained": {"test_build_cnn": "build-cnn"}, "test_results_table": {"test_build_cnn": "build-cnn"}}
CHECKS = {"test_build_cnn": check_build_cnn, "test_trained": check_trained, "test_results_table": check_results_table,
          "test_confusion": check_confusion}
