"""The verifier's parts on their own: coverage of every test, definitions, safe reading, layer patterns."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import nbformat
import numpy as np
import pytest

from autograder import course, examples
from autograder.verify import artifacts, coverage, definitions, harness, probe, rules
from autograder.verify.judge import checks_for


def test_every_autograded_test_has_a_check_outside_the_kernel():
    for assignment in course.assignments():
        assert coverage.problems(assignment) == [], assignment
        nb = examples.solved(assignment)
        tests = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                 if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
        assert tests == set(checks_for(assignment).CHECKS), assignment


def test_a_cell_without_a_check_and_a_check_without_a_cell_are_named(tmp_path):
    import types

    master = examples.solved("a1_noise_mlp")
    cell = nbformat.v4.new_code_cell("assert True")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 1,
                                 "grade_id": "test_new_step", "schema_version": 3}
    master.cells.append(cell)
    nbformat.write(master, tmp_path / "noise_mlp.ipynb")
    checks = types.SimpleNamespace(CHECKS={**checks_for("a1_noise_mlp").CHECKS, "test_renamed": None},
                                   RESCUE={"test_gone": {}})
    found = coverage.problems("a1_noise_mlp", [tmp_path / "noise_mlp.ipynb"], checks)
    assert len(found) == 3
    assert "the autograded cell 'test_new_step' has no grader check" in found[0]
    assert "CHECKS has 'test_renamed', but no master of a1_noise_mlp" in found[1]
    assert "RESCUE has 'test_gone'" in found[2]
    assert coverage.problems("a9_new_topic", [tmp_path / "noise_mlp.ipynb"])[0].startswith(
        "a9_new_topic has no grader checks: write autograder/verify/a9_new_topic.py")


def test_no_hidden_test_runs_in_the_students_kernel():
    for assignment in course.assignments():
        assert "BEGIN HIDDEN TESTS" not in examples.notebook_path(assignment).read_text()


def test_the_harness_and_the_probe_agree_on_the_start_marker():
    assert harness.STARTED == probe.STARTED


def test_a_probe_loads_no_plotting_until_a_definition_uses_it(tmp_path):
    """Keras comes without pandas and matplotlib, the master's ``from helpers import plots`` loads nothing, and a
    student's definitions still get the real modules when they use them."""
    heavy = "('pandas', 'matplotlib', 'seaborn')"
    spec = {"calls": [{"name": name, "function": name, "args": [], "kwargs": {}, "output": "array"}
                      for name in ("loaded_at_first", "uses_them")],
            "program": definitions.preamble(examples.solved("a1_noise_mlp")) + [
        f"def loaded_at_first():\n    import sys\n    return np.array([n in sys.modules for n in {heavy}])",
        "def uses_them():\n    import sys, pandas\n    return np.array([callable(plots.image_grid), "
        "type(pandas.DataFrame()).__name__ == 'DataFrame', 'seaborn' in sys.modules])"]}
    (tmp_path / "probe.json").write_text(json.dumps(spec))
    (tmp_path / "out").mkdir()
    completed = subprocess.run([sys.executable, str(harness.__file__)], cwd=tmp_path, capture_output=True, text=True,
                               timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert all(call["ok"] for call in manifest["calls"].values()), (manifest, completed.stdout[-2000:])
    assert not manifest["skipped"]
    assert np.load(tmp_path / "out" / "loaded_at_first.npy").tolist() == [False, False, False]
    assert np.load(tmp_path / "out" / "uses_them.npy").tolist() == [True, True, True]


def test_definitions_keep_defs_imports_and_constants_and_drop_the_rest():
    source = ("%matplotlib inline\nimport numpy as np\nSCALE = 0.5\nrng = np.random.default_rng(0)\n"
              "def f(x):\n    return x\nprint(f(1))\nmodel = build()\nfor i in range(3):\n    pass\nclass A: pass")
    kept = definitions.definitions(source)
    assert kept == ["import numpy as np", "SCALE = 0.5", "def f(x):\n    return x", "class A:\n    pass"]
    assert definitions.definitions("def broken(:") == []


def test_a_probe_keeps_what_the_functions_use_from_the_top_level_and_drops_the_training():
    """A correct function may use a helper value of its cell (a partial, a lambda, a table, the budget); the
    probe keeps it and everything it needs, and still drops top-level training that nothing uses."""
    submitted = examples.solved("a1_noise_mlp")
    add_noise = next(c for c in submitted.cells if c.get("id") == "add-noise")
    add_noise.source = ("import functools\nsettings = {'dtype': 'float32'}\n"
                        "draw = functools.partial(np.random.Generator.normal, loc=0.0)\n"
                        "as_float = lambda a: np.asarray(a, dtype=settings['dtype'])\n"
                        "unused = expensive_training()\n"
                        "def add_noise(images, scale, loc=0.0, seed=None):\n"
                        "    rng = np.random.default_rng(seed)\n"
                        "    return as_float(images) + as_float(draw(rng, scale=scale, size=np.shape(images))) + loc\n")
    program = definitions.program(submitted, examples.solved("a1_noise_mlp"))
    for kept in ("settings = ", "draw = functools.partial", "as_float = lambda", "def add_noise", "BUDGET = get_budget()"):
        assert any(s.startswith(kept) for s in program), kept
    assert not any(s.startswith(("unused = ", "mnist = ", "mlp_clean = ", "history_clean = ")) for s in program)


def test_layer_patterns_accept_either_batchnorm_order():
    pattern = rules.hidden_block("Dense(64)", True) + ["Dense(10)", "softmax"]
    assert rules.matches(["Dense(64)", "BN", "relu", "Dense(10)", "softmax"], pattern)
    assert rules.matches(["Dense(64)", "relu", "BN", "Dense(10)", "softmax"], pattern)
    assert not rules.matches(["Dense(64)", "relu", "Dense(10)", "softmax"], pattern)
    assert not rules.matches(["Dense(64)", "relu", "BN", "Dense(10)", "softmax", "Dense(3)"], pattern)


def test_functional_and_sequential_models_read_the_same():
    import keras
    from keras import layers

    inputs = keras.Input(shape=(8,))
    functional = keras.Model(inputs, layers.Dense(3, activation="softmax")(layers.Activation("relu")(layers.Dense(4)(inputs))))
    sequential = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(4, activation="relu"),
                                   layers.Dense(3, activation="softmax")])
    assert rules.tokens(functional) == rules.tokens(sequential) == ["Dense(4)", "relu", "Dense(3)", "softmax"]


def test_a_model_that_cannot_run_on_the_graders_data_fails_its_test_not_the_grader():
    import keras
    from keras import layers

    images, one_hot = np.zeros((5, 784), "float32"), np.eye(10)[[0, 1, 2, 3, 4]]
    unflattened = keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten(), layers.Dense(10, activation="softmax")])
    with pytest.raises(rules.Failed, match=r"cannot be run on the grader's images of shape \(784,\)"):
        rules.accuracy(unflattened, images, one_hot)
    two_outputs = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(2, activation="softmax")])
    with pytest.raises(rules.Failed, match=r"outputs shape \(2,\), expected \(10,\)"):
        rules.accuracy(two_outputs, images, one_hot)
    right = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(10, activation="softmax")])
    assert rules.accuracy(right, images, one_hot) == float(np.mean(np.argmax(right.predict(images, verbose=0), 1) == [0, 1, 2, 3, 4]))


def test_artifacts_are_read_as_data_only(tmp_path):
    import keras

    folder = artifacts.Folder(tmp_path)
    np.save(tmp_path / "ok.npy", np.arange(3))
    assert folder.array("ok").tolist() == [0, 1, 2]
    np.save(tmp_path / "pickled.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(artifacts.Unusable, match="plain numeric array"):
        folder.array("pickled")
    (tmp_path / "linked.npy").symlink_to(tmp_path / "ok.npy")
    with pytest.raises(artifacts.Unusable, match="not a regular file"):
        folder.array("linked")
    with pytest.raises(artifacts.Unusable, match="was not saved"):
        folder.array("missing")
    lambda_model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Lambda(lambda x: x * 2)])
    lambda_model.save(tmp_path / "sneaky.keras")
    plain = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(2)])
    plain.save(tmp_path / "uncompiled.keras")  # Keras writes an empty compile_config
    with pytest.raises(artifacts.Unusable, match="uncompiled was not compiled"):
        artifacts.Compiled.read(tmp_path / "uncompiled.keras")
    with pytest.raises(artifacts.Unusable, match="standard Keras layers"):
        folder.model("sneaky")


def test_submitted_nbgrader_metadata_is_replaced_by_the_releases():
    import copy

    import nbformat

    from autograder import worker

    release = nbformat.read(examples.notebook_path("a1_noise_mlp", solution=False), as_version=4)
    submitted = copy.deepcopy(release)
    answer = next(c for c in submitted.cells if c.get("id") == "add-noise")
    answer.metadata["nbgrader"] = {"grade": True, "grade_id": "add_noise", "points": 99, "solution": False,
                                   "locked": True}
    copied = nbformat.v4.new_code_cell("x = 1")
    copied.metadata["nbgrader"] = dict(release.cells[1].metadata["nbgrader"])
    submitted.cells.append(copied)
    problems = worker._metadata_from_release(submitted, release)
    assert answer.metadata["nbgrader"] == next(c for c in release.cells if c.get("id") == "add-noise").metadata["nbgrader"]
    assert "nbgrader" not in copied.metadata and "appears more than once" in problems[0].message
    without_ids = copy.deepcopy(release)  # a notebook saved without the release's cell ids: matched by grade id
    for index, cell in enumerate(without_ids.cells):
        cell["id"] = f"other-{index}"
    without_ids.cells.append(copy.deepcopy(without_ids.cells[1]))
    assert [p.message for p in worker._metadata_from_release(without_ids, release)] == \
        [f"cell {release.cells[1].metadata['nbgrader']['grade_id']} appears more than once: the copy was graded as an "
         "ordinary cell"]


def test_a_table_is_checked_row_by_row_against_the_histories():
    from autograder.verify.artifacts import History, Table
    from autograder.verify.rules import Failed, number, table_matches_histories

    def history(val_accuracy):
        return History({"loss": [0.5], "accuracy": [0.99], "val_loss": [0.4], "val_accuracy": [val_accuracy]})

    found = {0.1: history(0.9812), 4.0: history(0.6647)}
    table = Table(["Noise scale", "val acc (%)"], [["0.1", "98.12"], ["4.0", "66.47"]])
    table_matches_histories(table, "noise scale", found, key=number)
    with pytest.raises(Failed, match="for 4.0 is 70.00, but its History ends at 66.47"):
        table_matches_histories(Table(table.field_names, [["0.1", "98.12"], ["4.0", "70.00"]]), "noise scale", found,
                              key=number)
    with pytest.raises(Failed, match="expected one row for each"):
        table_matches_histories(Table(table.field_names, [["0.1", "98.12"]]), "noise scale", found, key=number)
    with pytest.raises(Failed, match="is not a number"):
        table_matches_histories(Table(table.field_names, [["0.1", "98.12"], ["4.0", "high"]]), "noise scale", found,
                              key=number)


def test_records_and_tables_with_odd_values_fail_the_check_instead_of_stopping_the_grader(tmp_path):
    """Values a student's code put in a record or a table are data: any shape of them gives a verdict."""
    import json

    from autograder.verify.evidence import Evidence
    from autograder.verify.artifacts import Folder, Table, Unusable
    from autograder.verify.probe import ProbeOutputs
    from autograder.verify.rules import Failed
    from helpers.budget import get_budget

    def history(odd):
        return {"history": {"loss": [0.5], "accuracy": [0.9], "val_loss": [0.4], "val_accuracy": odd}}

    a1, a2, a3 = checks_for("a1_noise_mlp"), checks_for("a2_depth_bn_dropout"), checks_for("a3_cifar_cnn")
    for odd in ("0.9", [None], None, {"v": 1}, [float("nan")], [], [[0.1]]):
        histories = [history([0.9])] * (len(a1.SCALES) - 1) + [history(odd)]
        (tmp_path / "sweep_histories.json").write_text(json.dumps(histories))
        evidence_ = Evidence(Folder(tmp_path), ProbeOutputs.read(tmp_path / "no-probe"), get_budget("smoke"))
        with pytest.raises(Unusable, match="sweep_histories\\[4\\]"):
            a1.check_sweep_table(evidence_)
    (tmp_path / "sweep_histories.json").write_text(json.dumps([{"loss": [0.5]}] * len(a1.SCALES)))
    with pytest.raises(Unusable, match="not what model.fit returns"):
        a1.check_sweep_table(evidence_)
    names = sorted(a2.EXPECTED_NAMES)
    (tmp_path / "histories.json").write_text(json.dumps({n: history([0.9]) for n in names}))
    headers = ["model", "hidden layers", "widths", "variant", "parameters", "train acc (%)", "val acc (%)"]
    rows = [[n, "two", "256-64", n.split(", ")[1], "218,058", "90.00", "90.00"] for n in names]
    (tmp_path / "results_table.json").write_text(json.dumps({"table": {"field_names": headers, "rows": rows}}))
    evidence_ = Evidence(Folder(tmp_path), ProbeOutputs.read(tmp_path / "no-probe"), get_budget("smoke"))
    with pytest.raises(Failed, match="'two' is not a number"):
        a2.check_results(evidence_)
    (tmp_path / "histories.json").write_text(json.dumps([history([0.9])] * len(names)))
    with pytest.raises(Unusable, match="not a dict of Histories"):
        a2.check_results(evidence_)
    (tmp_path / "short.json").write_text(json.dumps({"table": {"field_names": ["model", "val acc (%)"],
                                                               "rows": [["a", "1.0"], ["b"]]}}))
    with pytest.raises(Unusable, match="row 2 has 1 cells for 2 columns"):
        Table.read(Folder(tmp_path), "short")
    names = sorted(a3.NAMES)
    (tmp_path / "histories.json").write_text(json.dumps({n: history([0.9]) for n in names}))
    for odd in ("41.2", None, True, [1.0], float("inf")):
        (tmp_path / "fit_seconds.json").write_text(json.dumps({n: 1.0 for n in names[1:]} | {names[0]: odd}))
        with pytest.raises(Unusable, match=f"fit_seconds\\[{names[0]!r}\\] is .*not a number"):
            a3.check_results_table(evidence_)
    (tmp_path / "fit_seconds.json").write_text(json.dumps([1.0, 2.0, 3.0]))
    with pytest.raises(Unusable, match="fit_seconds is not a dict of numbers"):
        a3.check_results_table(evidence_)
    (tmp_path / "fit_seconds.json").write_text(json.dumps({n: 0.0 for n in names}))
    with pytest.raises(Failed, match="is 0: the seconds its fit took"):
        a3.check_results_table(evidence_)


def test_a_step_judged_again_keeps_the_students_own_cell():
    from autograder.verify import rescue
    from autograder.verify.judge import Verdict, checks_for

    a1 = checks_for("a1_noise_mlp").RESCUE
    failed = {"test_build_mlp", "test_compile_and_fit", "test_sweep", "test_sweep_table", "test_apply_noise",
              "test_clean_vs_noisy"}  # only add_noise written: the sweep's own cell is still the stub
    verdicts = [Verdict(t, t not in failed) for t in checks_for("a1_noise_mlp").CHECKS]
    chosen = rescue.plan(a1, verdicts)
    assert set(chosen.cells) == {"build-mlp", "compile-and-fit", "apply-noise"}  # never the sweep's own cell
    assert "test_sweep" in chosen.tests and "test_sweep_table" in chosen.tests
    # the sweep right and only its table wrong: the table is judged on the master's sweep
    only_table = [Verdict(t, t not in {"test_sweep", "test_sweep_table"}) for t in checks_for("a1_noise_mlp").CHECKS]
    assert rescue.plan(a1, only_table) == rescue.Plan(("test_sweep_table",), {"sweep": "test_sweep"})


def test_a_second_run_stops_after_the_last_test_it_judges_again():
    """The rescue's kernel runs the master's earlier cells and the student's later ones up to the last test judged
    again (its test cell saves what the check reads); nothing after it runs."""
    from autograder import examples
    from autograder.verify import rescue

    submitted = examples.mutate(examples.solved("a1_noise_mlp"), "add_noise", "def add_noise(x, scale, seed=0):\n    return x")
    chosen = rescue.Plan(("test_apply_noise",), {"add-noise": "test_add_noise"})
    nb = rescue._with_reference_cells(submitted, examples.solved("a1_noise_mlp"), chosen)
    assert nb.cells[-1].metadata["nbgrader"]["grade_id"] == "test_apply_noise"
    assert next(c for c in nb.cells if c.get("id") == "add-noise").source == \
        next(c for c in examples.solved("a1_noise_mlp").cells if c.get("id") == "add-noise").source
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
    everything = rescue.Plan(("test_apply_noise", "test_sweep_table"), {"add-noise": "test_add_noise"})
    assert len(rescue._with_reference_cells(submitted, submitted, everything).cells) == \
        1 + max(i for i, c in enumerate(submitted.cells) if c.metadata.get("nbgrader", {}).get("grade_id") ==
                "test_sweep_table")


def test_a_dict_of_histories_is_saved_and_read_by_name(tmp_path, monkeypatch):
    import keras

    from helpers import artifacts as writer

    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    x, y = np.random.default_rng(0).random((8, 4)), np.eye(3)[[0, 1, 2, 0, 1, 2, 0, 1]]
    fitted = {"2 hidden, BN": model.fit(x, y, epochs=2, validation_data=(x, y), verbose=0)}
    monkeypatch.setenv(writer.FOLDER_VARIABLE, str(tmp_path))
    writer.save({"histories": fitted, "one": fitted["2 hidden, BN"]}, "histories", "one")
    found = artifacts.named_histories(artifacts.Folder(tmp_path), "histories")
    assert list(found) == ["2 hidden, BN"] and found["2 hidden, BN"].epochs == 2
    assert found["2 hidden, BN"].val_accuracy == fitted["2 hidden, BN"].history["val_accuracy"][-1]
    with pytest.raises(artifacts.Unusable, match="not a dict of Histories"):
        artifacts.named_histories(artifacts.Folder(tmp_path), "one")


@pytest.mark.parametrize("failure", ["sandbox", "verifier", "bug"])
def test_a_probe_that_cannot_run_is_the_graders_failure_never_missing_outputs(tmp_path, monkeypatch, failure):
    """Whatever stops the probe thread (its sandbox, the verifier, a bug of the grader's) reaches the worker as
    ``VerificationFailed`` (not graded, retried), never as a folder without outputs that would fail the student."""
    from types import SimpleNamespace

    from autograder.verify import probe, verification

    raised = {"sandbox": probe.ProbeNotRun("the sandboxed check process did not start"),
              "verifier": verification.VerificationFailed("the verifier did not start"),
              "bug": KeyError("calls")}[failure]

    def run(*args, **kwargs):
        raise raised

    monkeypatch.setattr(probe, "run", run)
    job = SimpleNamespace(assignment="a1_noise_mlp", work=str(tmp_path), settings=None)
    probes = verification.Probes(job, {"noise_mlp": examples.released("a1_noise_mlp")},
                                 {"noise_mlp": examples.released("a1_noise_mlp")}, ())
    with pytest.raises(verification.VerificationFailed, match="did not start|the probe failed \\(KeyError"):
        probes.outputs_of("noise_mlp")
