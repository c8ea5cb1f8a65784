"""Run inside the sandbox: a student's definitions alone, called on the verifier's inputs.

    python harness.py   (in a folder holding probe.json and the input files)

Everything this script needs is bound before any student code runs. What it writes (outputs,
``manifest.json``) is read by the verifier as data only, so a student's code changing it gains nothing.
"""

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
    return value


STARTED = "nnlab probe: running the definitions"


def main() -> int:
    print(STARTED, flush=True)  # the grader reads this from the process's output, which student code cannot undo
    with _open("probe.json") as file:
        spec = json.load(file)
    import keras

    load_model = keras.saving.load_model
    namespace = {"__name__": "__main__"}
    skipped = []
    for source in spec["preamble"] + spec["definitions"]:
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
            if call["output"] == "model":
                value.save(f"out/{call['name']}.keras")
                outcome["same_object_as"] = [other for other, v in namespace.get("_probe_values", {}).items()
                                             if v is value]
                namespace.setdefault("_probe_values", {})[call["name"]] = value
            else:
                _save_array(f"out/{call['name']}.npy", np.asarray(value), allow_pickle=False)
            for index, arg in enumerate(args):
                if isinstance(arg, np.ndarray):
                    _save_array(f"out/{call['name']}.arg{index}.npy", arg, allow_pickle=False)
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
