"""Run inside the sandbox: a student's definitions alone, called on the verifier's inputs.

    python harness.py   (in a folder holding probe.json and the input files)

Everything this script needs is bound before any student code runs. What it writes (outputs,
``manifest.json``) is read by the verifier as data only, so a student's code changing it gains nothing.
"""

import importlib.util
import json
import sys
import traceback

import numpy as np

_save_array = np.save
_load_array = np.load
_write_json = json.dump
_open = open


def _argument(value, load_model):
    if isinstance(value, dict) and "npy" in value:
        return _load_array(value["npy"], allow_pickle=False)
    if isinstance(value, dict) and "keras" in value:
        return load_model(value["keras"])
    if isinstance(value, list):  # JSON has no tuples: a list argument is passed as a tuple, as validation_data is
        return tuple(_argument(part, load_model) for part in value)
    return value


STARTED = "nnlab probe: running the definitions"
# Keras imports these only if they are there, to accept DataFrames and to draw image galleries; neither is used
# by a probe or the verifier, and together they are about 0.45 of the ~3.9 CPU-s that importing Keras takes.
OPTIONAL_FOR_KERAS = ("pandas", "matplotlib")


def import_keras():
    """Import Keras without the optional modules it would load for nothing; code that imports them later gets
    the real ones (the verifier service imports Keras this way too)."""
    blocked = [name for name in OPTIONAL_FOR_KERAS if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # importing it raises ImportError, which Keras takes as "not installed"
    try:
        import keras
    finally:
        for name in blocked:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]
    return keras


# The master's imports, which a probe runs before the student's definitions, include the kit's plotting module
# (matplotlib, seaborn and pandas: about 0.8 CPU-s); it is loaded only if a definition uses it.
LOADED_ON_USE = ("helpers.plots",)


def load_on_use(name: str) -> None:
    """Put module ``name`` in place without running it: its code runs when one of its attributes is first used."""
    spec = importlib.util.find_spec(name)  # imports the parent package
    if name in sys.modules or spec is None or spec.loader is None:
        return
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    setattr(sys.modules[parent], child, module)  # as an import would: ``import helpers.plots`` then works too


def main() -> int:
    print(STARTED, flush=True)  # the grader reads this from the process's output, which student code cannot undo
    with _open("probe.json") as file:
        spec = json.load(file)
    keras = import_keras()
    for name in LOADED_ON_USE:
        load_on_use(name)
    load_model, model_class = keras.saving.load_model, keras.Model
    namespace = {"__name__": "__main__"}
    skipped = []
    for source in spec["program"]:
        try:
            exec(compile(source, "<your code>", "exec"), namespace)  # noqa: S102 - the student's definitions
        except BaseException as error:  # noqa: BLE001
            skipped.append(f"{source.splitlines()[0][:80]}: {type(error).__name__}")
    manifest = {"skipped": skipped, "calls": {}}
    for call in spec["calls"]:
        outcome = {}
        try:
            function = namespace[call["function"]]
            args = [_argument(a, load_model) for a in call["args"]]
            value = function(*args, **call["kwargs"])
            if call["output"] == "history":  # what fit returned: a History or its .history dict
                lists = value.history if isinstance(getattr(value, "history", None), dict) else value
                with _open(f"out/{call['name']}.json", "w") as file:
                    _write_json({str(k): [float(v) for v in values] for k, values in dict(lists).items()}, file)
            elif call["output"] == "model":
                value.save(f"out/{call['name']}.keras")
                outcome["same_object_as"] = [other for other, v in namespace.get("_probe_values", {}).items()
                                             if v is value]
                namespace.setdefault("_probe_values", {})[call["name"]] = value
            else:
                _save_array(f"out/{call['name']}.npy", np.asarray(value), allow_pickle=False)
            for index, arg in enumerate(args):
                if isinstance(arg, np.ndarray):
                    _save_array(f"out/{call['name']}.arg{index}.npy", arg, allow_pickle=False)
                elif isinstance(arg, model_class):  # a model the call compiled and trained: its settings and steps
                    arg.save(f"out/{call['name']}.arg{index}.keras")
                    optimizer = getattr(arg, "optimizer", None)
                    outcome[f"arg{index}_optimizer_steps"] = int(optimizer.iterations.numpy()) if optimizer else 0
            outcome["ok"] = True
        except KeyError:
            outcome["error"] = f"{call['function']} is not defined"
        except BaseException as error:  # noqa: BLE001
            lines = traceback.format_exception_only(type(error), error)
            outcome["error"] = "".join(lines).strip()[:300]
        manifest["calls"][call["name"]] = outcome
    with _open("out/manifest.json", "w") as file:
        _write_json(manifest, file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
