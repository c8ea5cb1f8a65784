"""Under the grader, a student's ``model.fit`` keeps to the grader's budget and runs the compiled epochs."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from helpers import grader_fit
from helpers.budget import get_budget


@pytest.fixture
def installed():
    original = keras.Model.fit
    grader_fit.install(get_budget("smoke"))
    yield
    keras.Model.fit = original


def _data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 20), dtype="float32"), np.eye(3, dtype="float32")[rng.integers(0, 3, n)]


def _model():
    model = keras.Sequential([keras.Input(shape=(20,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def test_fit_returns_the_history_keras_returns_for_the_budgets_epochs(installed, capsys):
    x, y = _data()
    model = _model()
    history = model.fit(x, y, batch_size=64, epochs=50, validation_data=_data(100, 1), verbose=0)
    assert isinstance(history, keras.callbacks.History) and history is model.history
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history.history["loss"]) == 3 and history.epoch == [0, 1, 2]
    assert history.params["epochs"] == 50  # what was asked for, as Keras records it: checks see the mistake
    assert int(model.optimizer.iterations.numpy()) == 3 * 5  # every batch, the last smaller one included
    assert "The grader trains for at most 3 epochs" in capsys.readouterr().out
    loss, _ = model.evaluate(*_data(100, 1), verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(loss, rel=1e-4)


def test_calls_it_does_not_reproduce_go_to_keras_fit_still_within_the_budget(installed):
    x, y = _data()
    model = _model()
    history = model.fit(x, y, epochs=9, validation_split=0.2, verbose=0)
    assert len(history.history["val_loss"]) == 3 and history.params["epochs"] == 9  # Keras' own fit, budget's epochs
    assert grader_fit.compiled_epochs_unsupported(model, {**_call(x, y), "validation_split": 0.2}) is not None
    assert grader_fit.compiled_epochs_unsupported(model, _call(x, y)) is None
    assert grader_fit.compiled_epochs_unsupported(model, {**_call(x, y), "sample_weight": np.ones(300)}) is not None


def _call(x, y):
    return {"x": x, "y": y, "epochs": 3, "batch_size": 32, "callbacks": None, "validation_data": _data(100, 1),
            "validation_split": 0.0, "class_weight": None, "sample_weight": None, "initial_epoch": 0,
            "steps_per_epoch": None, "validation_steps": None, "validation_batch_size": None, "validation_freq": 1,
            "shuffle": True}


def test_seeded_runs_repeat(installed):
    x, y = _data()
    results = []
    for _ in range(2):
        keras.utils.set_random_seed(7)
        results.append(_model().fit(x, y, epochs=2, validation_data=_data(100, 1), verbose=0).history["loss"])
    assert results[0] == results[1]


def test_only_the_grader_replaces_fit():
    code = ("from helpers import session; session.start(); import keras; "
            "print(getattr(keras.Model.fit, 'grader_budget', None) is not None)")
    env = {k: v for k, v in os.environ.items() if k != "NNLAB_GRADER_BUDGET"}
    for grading, expected in ((None, "False"), ("grade", "True")):
        run_env = {**env, "NNLAB_GRADER_BUDGET": grading} if grading else env
        completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=run_env,
                                   timeout=300)
        assert completed.stdout.strip().splitlines()[-1] == expected, completed.stderr[-2000:]


def test_a_check_sees_a_hand_written_epoch_count_that_the_grader_cut_short(installed):
    from helpers import checks

    x, y = _data()
    model = _model()
    checks.check_history(model.fit(x, y, epochs=3, validation_data=_data(100, 1), verbose=0), epochs=3)
    with pytest.raises(AssertionError, match="asked for 20 epochs and trained 3"):
        checks.check_history(model.fit(x, y, epochs=20, validation_data=_data(100, 1), verbose=0), epochs=3)
