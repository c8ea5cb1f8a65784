"""Assignment 2: depth, BatchNorm and Dropout in MLPs on MNIST."""

from __future__ import annotations

import numpy as np

from autograder.verify.case import Evidence
from autograder.verify.evidence import Table, Unusable, records
from autograder.verify.probe import Call
from autograder.verify.rules import accuracy, describe, hidden_block, matches, parameters, require, tokens

DEPTHS = {2: (256, 64), 3: (512, 256, 128), 5: (512, 256, 128, 64, 32)}
VARIANTS = {"plain": (False, 0.0), "BN": (True, 0.0), "BN + Dropout": (True, 0.5)}
# (widths, batchnorm) -> (total parameters, non-trainable), from the assignment text
PARAMETERS = {((256, 64), False): (218_058, 0), ((256, 64), True): (219_338, 640),
              ((512, 256, 128), False): (567_434, 0), ((512, 256, 128), True): (571_018, 1_792),
              ((512, 256, 128, 64, 32), False): (576_810, 0), ((512, 256, 128, 64, 32), True): (580_778, 1_984)}


def _call_name(widths, batchnorm, dropout) -> str:
    return f"mlp_{'-'.join(map(str, widths))}_{int(batchnorm)}_{dropout:g}"


def inputs() -> dict[str, np.ndarray]:
    return {}


CALLS = [Call(_call_name(widths, bn, dropout), "build_mlp", (list(widths),), {"batchnorm": bn, "dropout": dropout},
              output="model")
         for widths in DEPTHS.values() for bn, dropout in VARIANTS.values()]


def test_build_mlp(evidence: Evidence) -> None:
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


def _percent(text: str) -> float:
    try:
        return float(text.strip().rstrip("%"))
    except ValueError:
        raise Unusable(f"the table value {text[:20]!r} is not a number") from None


def test_results(evidence: Evidence) -> None:
    mnist = evidence.dataset("mnist", flatten=True)
    expected_names = {f"{depth} hidden, {variant}" for depth in DEPTHS for variant in VARIANTS}
    models = evidence.notebook.models("trained")
    require(set(models) == expected_names, f"trained must hold the nine models {sorted(expected_names)}")
    found = {r.name: r for r in records(evidence.notebook, "records")}
    require(set(found) == expected_names, "records must hold one record per model, named like the models")
    for name, model in models.items():
        depth, variant = int(name.split()[0]), name.split(", ", 1)[1]
        bn, dropout = VARIANTS[variant]
        words = tokens(model)
        require(sum(w.startswith("Dense") for w in words) == depth + 1, f"{name}: the model has the wrong depth")
        require(("BN" in words) == bn and any(w.startswith("Dropout") for w in words) == bool(dropout),
                f"{name}: the model is not the {variant} variant")
        measured = accuracy(model, mnist.test.x, mnist.test.y)
        require(measured >= evidence.threshold("mnist_depth_mlp"),
                f"{name} reaches {measured:.1%} on the grader's test images: is it trained?")
        require(abs(found[name].val_accuracy - measured) < 0.02, f"{name}: its record does not match the model")
    table = Table.read(evidence.notebook, "results_table")
    require(len(table.rows) == 9, f"results_table has {len(table.rows)} rows, expected 9 (one per model)")
    depths = sorted(int(_percent(v)) for v in table.column("hidden layers"))
    require(depths == [2, 2, 2, 3, 3, 3, 5, 5, 5], "the 'hidden layers' column does not list 2, 3 and 5 three times")
    for name, value in zip(table.column("model"), table.column("val acc (%)")):
        require(name in found, f"the table's row {name[:40]!r} is not one of the trained models")
        require(abs(_percent(value) - 100 * found[name].val_accuracy) < 0.011,
                f"the table's val acc for {name} ({value}) is not the record's")


# later tests the student wrote code for -> {earlier function test: its cell id} (see rescue.py)
RESCUE = {"test_results": {"test_build_mlp": "build-mlp"}}
CHECKS = {"test_build_mlp": test_build_mlp, "test_results": test_results}
