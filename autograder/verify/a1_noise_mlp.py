"""Assignment 1: noise and an MLP on MNIST."""

from __future__ import annotations

import numpy as np

from autograder.verify.artifacts import Compiled, Table, histories, one_history
from autograder.verify.probe import Call
from autograder.verify.rules import (Column, accuracy, cross_entropy, declines, distinct_weights, number, parameters,
                                     require, table_matches_histories, tokens)
from autograder.verify.evidence import Evidence

SCALES = [0.1, 0.5, 1.0, 2.0, 4.0]
MLP = ["Dense(512)", "relu", "Dropout(0.2)", "Dense(512)", "relu", "Dropout(0.2)", "Dense(10)", "softmax"]


FIT_SAMPLES, FIT_VALIDATION = 300, 100


def _fit_model():
    import keras

    keras.utils.set_random_seed(2024)
    return keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10, activation="softmax")])


def inputs() -> dict:
    rng = np.random.default_rng(2024)
    one_hot = np.eye(10, dtype="float32")
    return {"images": rng.random((300, 28, 28)).astype("float32"), "flat": rng.random((400, 784)).astype("float32"),
            "fit_model": _fit_model(),
            "fit_x": rng.random((FIT_SAMPLES, 784), dtype="float32"),
            "fit_y": one_hot[rng.integers(0, 10, FIT_SAMPLES)],
            "fit_xv": rng.random((FIT_VALIDATION, 784), dtype="float32"),
            "fit_yv": one_hot[rng.integers(0, 10, FIT_VALIDATION)]}


CALLS = [
    Call("noise_a", "add_noise", ({"npy": "images.npy"}, 1.5), {"loc": 0.25, "seed": 11}),
    Call("noise_b", "add_noise", ({"npy": "images.npy"}, 1.5), {"loc": 0.25, "seed": 11}),
    Call("noise_c", "add_noise", ({"npy": "images.npy"}, 1.5), {"loc": 0.25, "seed": 12}),
    Call("noise_flat", "add_noise", ({"npy": "flat.npy"}, 0.5), {"seed": 123}),
    Call("mlp_a", "build_mlp", output="model"),
    Call("mlp_b", "build_mlp", output="model"),
    Call("fit", "compile_and_fit", ({"keras": "fit_model.keras"}, {"npy": "fit_x.npy"}, {"npy": "fit_y.npy"},
                                    [{"npy": "fit_xv.npy"}, {"npy": "fit_yv.npy"}]), output="history"),
]


def _noise_statistics(noisy: np.ndarray, clean: np.ndarray, loc: float, scale: float) -> None:
    require(noisy.shape == clean.shape, f"add_noise returned shape {noisy.shape} for images of shape {clean.shape}")
    require(noisy.dtype == np.float32, f"add_noise returned {noisy.dtype}, expected float32")
    diff = noisy.astype("float64") - clean
    require(abs(diff.mean() - loc) < 0.03 and abs(diff.std() - scale) < 0.03,
            f"the added noise has mean {diff.mean():.3f} and std {diff.std():.3f}, expected {loc} and {scale}")
    flat = diff.reshape(len(diff), -1)
    require(not np.any(np.all(np.isclose(flat[1:], flat[0]), axis=1)),
            "two images got the same noise: draw noise of the whole array's shape")
    require(abs(np.corrcoef(flat[0], flat[1])[0, 1]) < 0.2, "the noise of different images is correlated")


def check_add_noise(evidence: Evidence) -> None:
    images, flat = inputs()["images"], inputs()["flat"]
    probe = evidence.probe
    _noise_statistics(probe.array("noise_a"), images, 0.25, 1.5)
    require(np.array_equal(probe.argument_after("noise_a", 0), images), "add_noise changed the images it was given")
    require(np.array_equal(probe.array("noise_b"), probe.array("noise_a")), "the same seed must give the same noise")
    require(not np.array_equal(probe.array("noise_c"), probe.array("noise_a")), "another seed must give other noise")
    _noise_statistics(probe.array("noise_flat"), flat, 0.0, 0.5)


def check_apply_noise(evidence: Evidence) -> None:
    mnist = evidence.dataset("mnist", flatten=True)
    diffs = []
    for split, clean in (("x_train_noisy", mnist.train.x), ("x_test_noisy", mnist.test.x)):
        noisy = evidence.notebook.array(split)
        require(noisy.shape == clean.shape, f"{split} has shape {noisy.shape}, expected {clean.shape} (the whole split)")
        require(float(noisy.min()) >= 0.0 and float(noisy.max()) <= 1.0, f"clip {split} to [0, 1] with np.clip")
        diff = noisy.astype("float64") - clean
        require(0.2 < diff.std() < 0.5, f"{split}: noise spread {diff.std():.3f} does not match scale 0.5 with clipping")
        require(not np.any(np.all(np.isclose(diff[1:200], diff[0]), axis=1)), f"{split}: images share a noise vector")
        diffs.append(diff)
    n = min(len(diffs[0]), len(diffs[1]), 500)
    background = (mnist.train.x[:n] == 0) & (mnist.test.x[:n] == 0)
    correlation = np.corrcoef(diffs[0][:n][background], diffs[1][:n][background])[0, 1]
    require(abs(correlation) < 0.5, "the training and test noise are the same draw: use different seeds (1 and 2)")


def check_build_mlp(evidence: Evidence) -> None:
    model = evidence.probe.model("mlp_a")
    require(parameters(model) == (669_706, 0), f"build_mlp() has {parameters(model)[0]:,} parameters, expected 669,706")
    require(tokens(model) == MLP, f"build_mlp() has layers {' → '.join(tokens(model))}, expected {' → '.join(MLP)}")
    require(tuple(model.input_shape) == (None, 784), f"the input must be keras.Input(shape=(784,)), not {model.input_shape}")
    same = evidence.probe.calls.get("mlp_b", {}).get("same_object_as") or []
    require(not same, "build_mlp must return a new model each time it is called")


def check_compile_and_fit(evidence: Evidence) -> None:
    epochs, batch_size = evidence.budget.epochs, evidence.budget.mlp_batch_size
    history = evidence.probe.history("fit")
    path, steps = evidence.probe.trained_argument("fit", 0)
    compiled = Compiled.read(path)
    require(compiled.optimizer == "adam" and abs(compiled.learning_rate - 1e-3) < 1e-9,
            f"the model is compiled with {compiled.optimizer} (learning rate {compiled.learning_rate:g}); use Adam with "
            "its default learning rate: optimizer=\"adam\"")
    require(compiled.loss == "categorical_crossentropy",
            f"the loss is {compiled.loss!r}: with one-hot labels use loss=\"categorical_crossentropy\"")
    require("accuracy" in compiled.metrics, "compile with metrics=[\"accuracy\"]")
    require(history.epochs == epochs, f"compile_and_fit trained for {history.epochs} epochs; the grader's budget says "
            f"{epochs}: use epochs=BUDGET.epochs")
    expected = epochs * -(-FIT_SAMPLES // batch_size)
    require(steps == expected, f"on {FIT_SAMPLES} images for {epochs} epochs the optimizer took {steps} steps, expected "
            f"{expected}: use batch_size=BUDGET.mlp_batch_size and fit once")
    given = inputs()
    measured = cross_entropy(evidence.probe.folder.model("fit.arg0"), given["fit_xv"], given["fit_yv"])
    require(abs(history.val_loss - measured) < 1e-3 * max(1.0, measured), "the History's last val_loss is not the "
            "trained model's loss on validation_data: pass validation_data to fit and return that fit's History")


def _trained(evidence: Evidence, model_name: str, history_name: str, x: np.ndarray, y: np.ndarray,
             threshold: str, hint: str) -> float:
    model, history = evidence.notebook.model(model_name), one_history(evidence.notebook, history_name)
    require(history.epochs == evidence.budget.epochs, f"{history_name}: fit was asked for {history.epochs} epochs; "
            f"the grader's budget says {evidence.budget.epochs}: train with epochs=BUDGET.epochs")
    measured = accuracy(model, x, y)
    require(measured >= evidence.threshold(threshold), f"{model_name} reaches {measured:.1%} on {hint}")
    require(abs(history.val_accuracy - measured) < 0.03, f"{history_name} ends at {history.val_accuracy:.1%} validation "
            f"accuracy, but {model_name} reaches {measured:.1%} on the grader's images: keep the History of its fit")
    return measured


def check_clean_vs_noisy(evidence: Evidence) -> None:
    mnist = evidence.dataset("mnist", flatten=True)
    acc_clean = _trained(evidence, "mlp_clean", "history_clean", mnist.test.x, mnist.test.y, "mnist_mlp_clean",
                         "the grader's test images: is it trained on x_train?")
    rng = np.random.default_rng(777)
    x_noisy = np.clip(mnist.test.x + rng.normal(0.0, 0.5, mnist.test.x.shape), 0.0, 1.0).astype("float32")
    acc_noisy = _trained(evidence, "mlp_noisy", "history_noisy", x_noisy, mnist.test.y, "mnist_mlp_noisy",
                         "noisy test images: is it trained on x_train_noisy?")
    require(acc_clean > acc_noisy, "the clean model should beat the noisy one")


def check_sweep(evidence: Evidence) -> None:
    mnist = evidence.dataset("mnist", flatten=True)
    found = histories(evidence.notebook, "sweep_histories")
    require(len(found) == len(SCALES), f"sweep_histories holds {len(found)} Histories, expected one per scale of {SCALES}")
    require(all(h.epochs == evidence.budget.epochs for h in found),
            f"each model of the sweep trains for the budget's {evidence.budget.epochs} epochs (epochs=BUDGET.epochs)")
    models = list(evidence.notebook.models("sweep_models").values())
    require(len(models) == len(SCALES), f"sweep_models holds {len(models)} models, expected one per scale")
    require(distinct_weights(models), "sweep_models holds the same model more than once: build a new one per scale")
    mean, std = float(mnist.train.x.mean()), float(mnist.train.x.std())
    test = ((mnist.test.x - mean) / std).astype("float32")
    rng = np.random.default_rng(4242)
    measured = []
    for scale, model, history in zip(SCALES, models, found):
        acc = accuracy(model, (test + rng.normal(0.0, scale, test.shape)).astype("float32"), mnist.test.y)
        require(abs(acc - history.val_accuracy) < 0.05, f"scale {scale}: the History does not match its model")
        measured.append(acc)
    require(measured[0] >= evidence.threshold("mnist_mlp_clean") - 0.05, "the model at scale 0.1 is not trained")
    require(declines(measured, 0.03) and measured[0] - measured[-1] > 0.1,
            "accuracy should fall clearly as the noise grows: is each model trained on its own scale?")


def check_sweep_table(evidence: Evidence) -> None:
    found = histories(evidence.notebook, "sweep_histories")
    require(len(found) == len(SCALES), f"sweep_histories must hold one History per scale of {SCALES}")
    table = Table.read(evidence.notebook, "sweep_table")
    table_matches_histories(table, "noise scale", dict(zip(SCALES, found)), key=number,
                          columns={"train acc (%)": Column("train_accuracy"), "val acc (%)": Column("val_accuracy"),
                                   "val loss": Column("val_loss", scale=1.0)})


# later tests -> {the test of an earlier step they build on: that step's cell id} (see rescue.py): a wrong
# add_noise also changes x_train_noisy and the noisy model, a sweep without a scale also the sweep's table
_NOISE = {"test_add_noise": "add-noise"}
_MODELS = {**_NOISE, "test_build_mlp": "build-mlp", "test_compile_and_fit": "compile-and-fit"}
RESCUE = {"test_apply_noise": _NOISE, "test_clean_vs_noisy": {**_MODELS, "test_apply_noise": "apply-noise"},
          "test_sweep": _MODELS, "test_sweep_table": {**_MODELS, "test_sweep": "sweep"}}
CHECKS = {"test_add_noise": check_add_noise, "test_apply_noise": check_apply_noise, "test_build_mlp": check_build_mlp,
          "test_compile_and_fit": check_compile_and_fit, "test_clean_vs_noisy": check_clean_vs_noisy,
          "test_sweep": check_sweep, "test_sweep_table": check_sweep_table}
