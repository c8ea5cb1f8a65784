"""What a student's own ``model.fit`` costs at a budget, run as Keras runs it and as the grader runs it.

For each assignment, every model its notebook trains (a1: 7 MLPs, a2: 9, a3: 3 CNNs) is compiled and fit
the way the students write it (``optimizer="adam"``, ``verbose=0``), once with Keras' own ``fit`` and
once with ``fit`` replaced as the grader replaces it (:mod:`helpers.grader_fit`), alternating, in one
process. Reported: seconds per submission (the training of one notebook), median of the repeats.
"""

from __future__ import annotations

import statistics
import time

import numpy as np


def _assignment_models(budget):
    from reference import models

    # as the masters build them: a2's nine with He-normal initialisation; BatchNorm with the budget's momentum
    mlps = [lambda w=w, b=b, d=d: models.mlp(w, batchnorm=b, dropout=d, initializer="he_normal",
                                             batchnorm_momentum=budget.batchnorm_momentum)
            for w in ((256, 64), (512, 256, 128), (512, 256, 128, 64, 32)) for b, d in ((False, 0.0), (True, 0.0), (True, 0.5))]
    return {"a1_noise_mlp": ("mnist", [lambda: models.mlp((512, 512), dropout=0.2)] * 7),
            "a2_depth_bn_dropout": ("mnist", mlps),
            "a3_cifar_cnn": ("cifar10", [models.cnn, lambda: models.cnn((32, 64, 128, 256)),
                                         lambda: models.cnn(batchnorm=True,
                                                            batchnorm_momentum=budget.batchnorm_momentum)])}


def _train_as_students_write_it(build, dataset, budget) -> float:
    model = build()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    image_model = len(model.input_shape) > 2
    history = model.fit(*dataset.train, validation_data=dataset.test, verbose=0,
                        batch_size=budget.cnn_batch_size if image_model else budget.mlp_batch_size,
                        epochs=budget.cifar_epochs if image_model else budget.epochs)
    return history.history["val_accuracy"][-1]


def bench_grader_fit(budget_name: str = "grade", repeats: int = 2) -> dict:
    """Seconds per submission's training with Keras' ``fit`` and with the grader's, per assignment."""
    import keras

    from helpers import data, grader_fit
    from helpers.budget import get_budget

    budget = get_budget(budget_name)
    keras_fit = keras.Model.fit
    rows = {}
    for assignment, (dataset_name, builders) in _assignment_models(budget).items():
        dataset = data.load_for_budget(dataset_name, budget, flatten=dataset_name == "mnist")
        seconds: dict[str, list[float]] = {"keras": [], "grader": []}
        accuracy: dict[str, list[float]] = {"keras": [], "grader": []}
        for _ in range(repeats + 1):  # the first round warms up TensorFlow and is dropped
            for path in ("keras", "grader"):
                if path == "grader":
                    grader_fit.install(budget)
                else:
                    keras.Model.fit = keras_fit
                start = time.perf_counter()
                accuracy[path] += [_train_as_students_write_it(build, dataset, budget) for build in builders]
                seconds[path].append(time.perf_counter() - start)
        keras.Model.fit = keras_fit
        rows[assignment] = {"models": len(builders),
                            "keras_s": statistics.median(seconds["keras"][1:]),
                            "grader_s": statistics.median(seconds["grader"][1:]),
                            "keras_mean_val_accuracy": float(np.mean(accuracy["keras"][len(builders):])),
                            "grader_mean_val_accuracy": float(np.mean(accuracy["grader"][len(builders):]))}
        print(f"{assignment}: keras {rows[assignment]['keras_s']:.1f} s, grader {rows[assignment]['grader_s']:.1f} s",
              flush=True)
    return {"budget": budget_name, "repeats": repeats, "assignments": rows}


def markdown_lines(report: dict) -> list[str]:
    lines = ["", f"Training one submission at the `{report['budget']}` budget, the code as students write it "
             f"(`compile(optimizer=\"adam\", ...)`, `fit(..., verbose=0)`), median of {report['repeats']} runs:", "",
             "| assignment | models | Keras fit (s) | the grader's fit (s) | Keras/grader | mean val acc Keras | "
             "mean val acc grader |", "|---|---|---|---|---|---|---|"]
    for assignment, row in report["assignments"].items():
        lines.append(f"| {assignment} | {row['models']} | {row['keras_s']:.1f} | {row['grader_s']:.1f} | "
                     f"{row['keras_s'] / row['grader_s']:.2f}x | {100 * row['keras_mean_val_accuracy']:.1f}% | "
                     f"{100 * row['grader_mean_val_accuracy']:.1f}% |")
    total_keras = sum(r["keras_s"] for r in report["assignments"].values())
    total_grader = sum(r["grader_s"] for r in report["assignments"].values())
    lines += [f"| all three | | {total_keras:.1f} | {total_grader:.1f} | {total_keras / total_grader:.2f}x | | |"]
    return lines
