"""While a notebook is graded, a student's ``model.fit`` keeps to the grader's budget and runs faster.

The grader runs a class of notebooks on small CPU machines, so under the grader (``NNLAB_GRADER_BUDGET``
set) :func:`install` replaces ``keras.Model.fit`` in the notebook's kernel with a wrapper that

* trains for at most the budget's epochs (``epochs=50`` written by hand trains for the budget's 3, and
  the cell prints a line saying so), as it already decides the data sizes;
* runs the epochs with :mod:`helpers.epoch_loop` (the model's own ``train_step``, so its optimizer, loss
  and metrics) when the call is one it reproduces exactly, and Keras' own ``fit`` for anything else
  (``validation_split``, sample or class weights, ``shuffle=False``, datasets, per-batch callbacks, ...).

It returns the ``keras.callbacks.History`` that ``fit`` returns; its ``params["epochs"]`` is the number the
call asked for, as in Keras, so a check that compares it with the budget sees a hand-written ``epochs=50``.
While a student works nothing is replaced: the notebook runs Keras as written. ``benchmarks/grader_fit.py``
measures both paths.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

import numpy as np

from helpers import epoch_loop
from helpers.budget import Budget

# fit's arguments whose default values the compiled epochs reproduce; any other value goes to Keras' fit
_DEFAULTS_REQUIRED = {"validation_split": 0.0, "class_weight": None, "sample_weight": None, "initial_epoch": 0,
                      "steps_per_epoch": None, "validation_steps": None, "validation_batch_size": None,
                      "validation_freq": 1, "shuffle": True}
KERAS_DEFAULT_BATCH_SIZE = 32


def epoch_limit(model, budget: Budget) -> int:
    """The budget's epochs for this model: CIFAR-10's for image-shaped input, MNIST's for vectors."""
    return budget.cifar_epochs if len(model.input_shape) > 2 else budget.epochs


def compiled_epochs_unsupported(model, call: dict[str, Any]) -> str | None:
    """Why this bound ``fit`` call needs Keras' own ``fit`` (``None`` when the compiled epochs reproduce it)."""
    for name, default in _DEFAULTS_REQUIRED.items():
        value = call[name]
        same = value is default or (isinstance(value, (bool, int, float)) and value == default)
        if not same:
            return f"{name} is given"
    if not isinstance(call["epochs"], int) or call["epochs"] < 1:
        return "epochs is not a positive number"
    if not getattr(model, "compiled", False):
        return "the model is not compiled"
    if not isinstance(call["x"], np.ndarray) or not isinstance(call["y"], np.ndarray):
        return "x and y are not NumPy arrays"
    validation = call["validation_data"]
    if not (isinstance(validation, (tuple, list)) and len(validation) == 2
            and all(isinstance(part, np.ndarray) for part in validation)):
        return "validation_data is not a pair of NumPy arrays"
    return epoch_loop.unsupported_reason(model, list(call["callbacks"] or ()))


def install(budget: Budget) -> None:
    """Replace ``keras.Model.fit`` in this process (idempotent)."""
    import keras

    original = keras.Model.fit
    if getattr(original, "grader_budget", None) is not None:
        original = original.__wrapped__
    signature = inspect.signature(original)

    @functools.wraps(original)
    def fit(self, *args, **kwargs):
        call = signature.bind(self, *args, **kwargs)
        call.apply_defaults()
        arguments = dict(call.arguments)
        arguments.pop("self")
        limit = epoch_limit(self, budget)
        if isinstance(arguments["epochs"], np.integer):
            arguments["epochs"] = int(arguments["epochs"])
        asked = arguments["epochs"]
        if isinstance(asked, int) and asked > limit:
            print(f"The grader trains for at most {limit} epochs (its '{budget.name}' budget); this fit asked for "
                  f"{asked}.")
            arguments["epochs"] = limit
        if compiled_epochs_unsupported(self, arguments) is not None:
            history = original(self, **arguments)
        else:
            history = _compiled_epochs(self, arguments)
        if isinstance(getattr(history, "params", None), dict):
            history.params["epochs"] = asked  # as Keras records it: what was asked for, so checks see the mistake
        return history

    fit.grader_budget = budget
    keras.Model.fit = fit


def _compiled_epochs(model, call: dict[str, Any]):
    """Train like ``fit`` with :func:`helpers.epoch_loop.run_epochs` and return the History."""
    seed = int(np.random.randint(2**31 - 1))  # keras.utils.set_random_seed also seeds NumPy: shuffling repeats
    epoch_loop.run_epochs(model, call["x"], call["y"], validation_data=tuple(call["validation_data"]),
                          epochs=call["epochs"], batch_size=call["batch_size"] or KERAS_DEFAULT_BATCH_SIZE,
                          callbacks=list(call["callbacks"] or ()), seed=seed)
    return model.history
