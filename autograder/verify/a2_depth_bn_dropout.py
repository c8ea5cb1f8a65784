"""Assignment 2: depth, BatchNorm and Dropout in MLPs on MNIST."""

from __future__ import annotations

import re

import numpy as np

from autograder.verify.evidence import Evidence
from autograder.verify.artifacts import Table, Unusable, load_model, named_histories
from autograder.verify.fitting import check_compiled, check_fit
from autograder.verify.probe import Call
from autograder.verify.rules import (describe, hidden_block, matches, number, parameters, require,
                                     require_batchnorm_momentum, shows, tokens)

DEPTHS = {2: (256, 64), 3: (512, 256, 128), 5: (512, 256, 128, 64, 32)}
VARIANTS = {"plain": (False, 0.0), "BN": (True, 0.0), "BN + Dropout": (True, 0.5)}
# (widths, batchnorm) -> (total parameters, non-trainable), from the assignment text
PARAMETERS = {((256, 64), False): (218_058, 0), ((256, 64), True): (219_338, 640),
              ((512, 256, 128), False): (567_434, 0), ((512, 256, 128), True): (571_018, 1_792),
              ((512, 256, 128, 64, 32), False): (576_810, 0), ((512, 256, 128, 64, 32), True): (580_778, 1_984)}


def _call_name(widths, batchnorm, dropout) -> str:
    return f"mlp_{'-'.join(map(str, widths))}_{int(batchnorm)}_{dropout:g}"


CALLS = [Call(_call_name(widths, bn, dropout), "build_mlp", (list(widths),), {"batchnorm": bn, "dropout": dropout},
              output="model")
         for widths in DEPTHS.values() for bn, dropout in VARIANTS.values()] + [
    Call("spread", "weight_spread", ({"keras": "spread_model.keras"},))]


def check_build_mlp(evidence: Evidence) -> None:
    for widths in DEPTHS.values():
        for bn, dropout in VARIANTS.values():
            call = f"build_mlp({widths}, batchnorm={bn}, dropout={dropout})"
            try:
                model = evidence.probe.model(_call_name(widths, bn, dropout))
            except Unusable as reason:
                raise Unusable(f"{call}: {reason}") from None
            expected = PARAMETERS[(widths, bn)]
            require(parameters(model) == expected, f"{call} has {parameters(model)[0]:,} parameters "
                    f"({parameters(model)[1]:,} non-trainable), expected {expected[0]:,} ({expected[1]:,})")
            pattern = [p for w in widths for p in hidden_block(f"Dense({w})", bn, dropout)] + ["Dense(10)", "softmax"]
            require(matches(tokens(model), pattern),
                    f"{call} has layers {' → '.join(tokens(model))}, expected {describe(pattern)}")
            require_batchnorm_momentum(call, model, evidence.budget.batchnorm_momentum)


def spread_model():
    """A fixed model with Dense, BatchNorm, Activation and Dropout layers, for the weight_spread check."""
    import keras

    model = keras.Sequential([keras.Input(shape=(30,)), keras.layers.Dense(16), keras.layers.BatchNormalization(),
                              keras.layers.Activation("relu"), keras.layers.Dropout(0.3),
                              keras.layers.Dense(8, activation="relu"), keras.layers.Dense(10, activation="softmax")])
    rng = np.random.default_rng(31)
    model.set_weights([rng.normal(0.0, 0.05 * (index + 1), w.shape).astype("float32")
                       for index, w in enumerate(model.get_weights())])
    return model


def inputs() -> dict:
    return {"spread_model": spread_model()}


EXPECTED_NAMES = {f"{depth} hidden, {variant}" for depth in DEPTHS for variant in VARIANTS}


def _config(name: str) -> tuple[int, str, bool, float]:
    """(hidden layers, variant, batchnorm, dropout) of a model named like "3 hidden, BN"."""
    depth, variant = int(name.split()[0]), name.split(", ", 1)[1]
    return (depth, variant, *VARIANTS[variant])


def check_trained(evidence: Evidence) -> None:
    mnist = evidence.dataset("mnist", flatten=True)
    files = evidence.notebook.model_files("trained")
    require(set(files) == EXPECTED_NAMES, f"trained must hold the nine models {sorted(EXPECTED_NAMES)}")
    found = named_histories(evidence.notebook, "histories")
    require(set(found) == EXPECTED_NAMES, "histories must hold what fit returned for each of the nine models, keyed "
            "like trained")
    for name, path in files.items():
        model = load_model(path)
        depth, variant, bn, dropout = _config(name)
        words = tokens(model)
        require(sum(w.startswith("Dense") for w in words) == depth + 1, f"{name}: the model has the wrong depth")
        require(("BN" in words) == bn and any(w.startswith("Dropout") for w in words) == bool(dropout),
                f"{name}: the model is not the {variant} variant")
        check_compiled(name, "trained", path)
        check_fit(name, "histories", model, found[name], mnist.test.x, mnist.test.y, epochs=evidence.budget.epochs,
                  epochs_setting="BUDGET.epochs", threshold=evidence.threshold("mnist_depth_mlp"))


def check_results(evidence: Evidence) -> None:
    found = named_histories(evidence.notebook, "histories")
    table = Table.read(evidence.notebook, "results_table")
    require(len(table.rows) == 9, f"results_table has {len(table.rows)} rows, expected 9 (one per model)")
    names = [cell.strip() for cell in table.column("model")]
    require(sorted(names) == sorted(found), f"the table's 'model' column lists {', '.join(names)[:300]}; expected one "
            f"row for each of {', '.join(sorted(found))[:300]}")
    columns = ("hidden layers", "widths", "variant", "parameters", "train acc (%)", "val acc (%)")
    for name, depth, widths, variant, size, train, val in zip(names, *(table.column(c) for c in columns)):
        expected_depth, expected_variant, bn, _ = _config(name)
        expected_widths = DEPTHS[expected_depth]
        history = found[name]
        require(number(depth) == expected_depth and variant.strip() == expected_variant,
                f"the table's row {name!r} shows {depth.strip()} hidden layers, {variant.strip()!r}: not its model's")
        require([int(w) for w in re.findall(r"\d+", widths)] == list(expected_widths),
                f"the table's row {name!r} shows widths {widths.strip()!r}: its model's are "
                f"{'-'.join(map(str, expected_widths))}")
        expected_size = PARAMETERS[(expected_widths, bn)][0]
        require(shows(size, expected_size), f"the table's row {name!r} shows {size.strip()} parameters; its model has "
                f"{expected_size:,} (model.count_params(), trainable and non-trainable)")
        for header, cell, value in (("train acc (%)", train, history.train_accuracy),
                                    ("val acc (%)", val, history.val_accuracy)):
            require(shows(cell, 100 * value), f"the table's {header!r} for {name} is {cell.strip()}, but its History "
                    f"ends at {100 * value:.4f}")


def check_weight_spread(evidence: Evidence) -> None:
    model = spread_model()
    expected = [float(np.std(layer.get_weights()[0])) for layer in model.layers if type(layer).__name__ == "Dense"]
    found = evidence.probe.array("spread").astype("float64").reshape(-1)
    require(len(found) == len(expected), f"weight_spread returned {len(found)} values for a model with "
            f"{len(expected)} Dense layers: one per Dense layer's kernel")
    require(bool(np.allclose(found, expected, rtol=1e-4)), "weight_spread's values are not the standard deviations "
            "of the Dense kernels (the first weight array of each Dense layer, not the biases)")


# later tests the student wrote code for -> {earlier function test: its cell id} (see rescue.py)
RESCUE = {"test_trained": {"test_build_mlp": "build-mlp"}, "test_results": {"test_build_mlp": "build-mlp"}}
CHECKS = {"test_build_mlp": check_build_mlp, "test_trained": check_trained, "test_results": check_results,
          "test_weight_spread": check_weight_spread}
