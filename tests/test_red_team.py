"""Hostile submissions, one per class of attack, and honest code written unlike the master.

Each hostile notebook pairs a wrong (or missing) answer with a way of fooling tests that run in the
student's kernel; none may earn the points of the step it fakes, leak the grader's checks, or run
script in feedback. The honest notebooks must get full marks and no scan note.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest

from autograder import course, examples
from tests.grading import cell_outputs, grades, passed_tests, result

pytestmark = pytest.mark.slow
A1 = "a1_noise_mlp"
SHARED_NOISE = next(m for m in examples.MUTATIONS if m.name == "shared_noise_vector").source
WRONG_NOISE = SHARED_NOISE  # a realistic mistake: one noise vector for every image

# Each: (code added after the add_noise answer, the test whose points it tries to fake)
ATTACKS = {
    "kernel-hook": ('''
import IPython
_shell = IPython.get_ipython()
_original = _shell.run_cell
def _quiet(raw_cell, *args, **kwargs):
    return _original("pass" if "check" in raw_cell or "assert" in raw_cell else raw_cell, *args, **kwargs)
_shell.run_cell = _quiet
''', "test_add_noise"),
    "alias-and-vars": ('''
import helpers.checks as _c
vars(_c)["check_noise_function"] = lambda *a, **k: None
for _name, _value in [("check_noised", lambda *a, **k: None)]:
    vars(_c)[_name] = _value
''', "test_add_noise"),
    "encoded-exec": ('''
import base64
_run = getattr(__builtins__, "ex" + "ec") if not isinstance(__builtins__, dict) else __builtins__["ex" + "ec"]
_run(base64.b64decode("aW1wb3J0IGhlbHBlcnMuY2hlY2tzIGFzIGMKYy5jaGVja19ub2lzZV9mdW5jdGlvbiA9IGxhbWJkYSAqYSwgKiprOiBOb25l"))
''', "test_add_noise"),
    "imported-file": ('''
with open("cheat_module.py", "w") as _f:
    _f.write("import helpers.checks as c\\nc.check_noise_function = lambda *a, **k: None\\n")
import sys as _s
_s.path.insert(0, ".")
import cheat_module
''', "test_add_noise"),
    "fake-training": ('''
import keras as _k
class _History:
    def __init__(self, epochs):
        self.history = {key: [0.99] * epochs for key in ("loss", "accuracy", "val_loss", "val_accuracy")}
_k.Model.fit = lambda self, x=None, y=None, epochs=1, **kwargs: _History(epochs)
''', "test_clean_vs_noisy"),
    "environment-and-cache": ('''
import os as _o
_o.environ["NNLAB_BUDGET"] = "smoke"
try:
    open(_o.path.join(_o.environ["NNLAB_DATA_DIR"], "mnist.npz"), "ab").write(b"poison")
except OSError as error:
    print("mirror is read-only:", type(error).__name__)
import keras as _k
_fit = _k.Model.fit
_k.Model.fit = lambda self, *args, **kwargs: _fit(self, *args, **{**kwargs, "epochs": 1})
''', "test_sweep"),
}
FAKE_MODEL = '''
class _Answers(keras.Sequential):
    def predict(self, x, *args, **kwargs):
        return np.eye(10)[np.zeros(len(x), dtype=int)]
def build_mlp():
    return _Answers([keras.Input(shape=(784,)), layers.Dense(512, activation="relu"), layers.Dropout(0.2),
                     layers.Dense(512, activation="relu"), layers.Dropout(0.2), layers.Dense(10, activation="softmax")])
'''
READS_HISTORY = '''
print(In)
print(_ih[-3:])
get_ipython().run_line_magic("history", "")
'''
SCRIPT = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
# Correct, written unlike the master, with code an earlier scan wrongly flagged.
HONEST_NOISE = '''
import sys, gc
def add_noise(images, scale, loc=0.0, seed=None):
    generator = np.random.default_rng(seed)
    return np.asarray(images, dtype=np.float32) + generator.standard_normal(np.shape(images)).astype(np.float32) * scale + loc
noise = 0.3  # a student's own variable that shadows the helpers module
'''
HONEST_MLP = '''
%matplotlib inline
import matplotlib.pyplot as plt
plt.rcParams["figure.figsize"] = (8, 4)
def build_mlp():
    inputs = keras.Input(shape=(784,))
    hidden = layers.Dropout(0.2)(layers.Activation("relu")(layers.Dense(512)(inputs)))
    hidden = layers.Dropout(0.2)(layers.Dense(512, activation="relu")(hidden))
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(hidden))
models = {}
models["base"] = build_mlp()
'''


MARKUP = "### BEGIN HIDDEN TESTS\n### BEGIN HIDDEN TESTS\n### BEGIN SOLUTION\n### BEGIN MARK SCHEME\n{{ grade }} {% raw %}"


def with_nbgrader_markup() -> nbformat.NotebookNode:
    """The released notebook with a correct ``add_noise`` whose cell, and a note below it, quote nbgrader's markup
    (no region closed): text of the student's that nbgrader's own feedback step reads as its markup."""
    solved = examples.solved(A1)
    answer = next(c for c in solved.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "add_noise").source
    nb = examples.mutate(examples.released(A1), "add_noise", "\n".join(f"# {line}" for line in MARKUP.splitlines())
                         + "\n" + answer)
    index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "add_noise")
    nb.cells.insert(index + 1, nbformat.v4.new_markdown_cell(f"My notes\n\n{MARKUP}"))
    return nb


def wrong_noise_only() -> nbformat.NotebookNode:
    """The released notebook with only the wrong ``add_noise`` written: what an attack on that step is judged on.

    With the later steps unanswered there is nothing to judge again with the reference ``add_noise`` (a mistake
    is charged once), so the notebook is graded in a third of the time; the step the attack fakes is the same.
    """
    return examples.mutate(examples.released(A1), "add_noise", WRONG_NOISE)


def class_submissions(subs: Path) -> None:
    """The hostile and honest notebooks (graded in the session's shared class)."""
    for name, (code, faked) in ATTACKS.items():
        nb = wrong_noise_only() if faked == "test_add_noise" else examples.solved(A1)
        examples.write_submission(subs, name, A1, examples.add_code(nb, "add_noise", code))
    examples.write_submission(subs, "fake-model", A1, examples.mutate(examples.solved(A1), "build_mlp", FAKE_MODEL))
    relabelled = wrong_noise_only()
    cell = next(c for c in relabelled.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "add_noise")
    cell.metadata["nbgrader"] = {"grade": False, "grade_id": "setup_copy", "locked": True, "solution": False}
    examples.write_submission(subs, "relabelled-cells", A1, relabelled)
    examples.write_submission(subs, "reads-history", A1, examples.add_code(examples.solved(A1), "sweep", READS_HISTORY))
    injected = examples.add_code(examples.solved(A1), "add_noise",
                                 f"from IPython.display import HTML, display\ndisplay(HTML({SCRIPT!r}))")
    injected.cells.append(nbformat.v4.new_markdown_cell(f"My notes {SCRIPT}"))
    examples.write_submission(subs, "injects-script", A1, injected)
    examples.write_submission(subs, "nbgrader-markup", A1, with_nbgrader_markup())
    honest = examples.mutate(examples.mutate(examples.solved(A1), "add_noise", HONEST_NOISE), "build_mlp", HONEST_MLP)
    examples.write_submission(subs, "honest-variant", A1, honest)
    target = examples.write_submission(subs, "linked", A1, examples.solved(A1))
    notebook = next(target.glob("*.ipynb")) if target.is_dir() else target
    hard_source = subs.parent / "elsewhere.ipynb"  # outside the class folder
    hard_source.write_text(notebook.read_text())
    notebook.unlink()
    os.link(hard_source, notebook)


@pytest.fixture(scope="module")
def red_team(shared_class):
    return shared_class.out


def test_no_submission_changes_the_data_mirror(shared_class):
    assert shared_class.mirror_after == shared_class.mirror_before


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_an_attack_does_not_earn_the_points_it_fakes(red_team, attack):
    faked = ATTACKS[attack][1]
    assert passed_tests(red_team, attack, A1)[faked] is False, result(red_team, attack, A1).tests
    assert float(grades(red_team)[(attack, A1)]["auto_score"]) < 15


def test_a_model_class_of_ones_own_is_refused(red_team):
    tests = {t.test: t for t in result(red_team, "fake-model", A1).tests}
    assert not tests["test_build_mlp"].passed and "standard Keras layers" in tests["test_build_mlp"].message
    # its trained models are refused too; the later steps are judged again with the reference build_mlp (a mistake
    # is charged once), so the fake earns nothing that leaving build_mlp unanswered would not
    for later in ("test_clean_vs_noisy", "test_sweep"):
        told = "".join("".join(o.get("text", "")) for o in cell_outputs(red_team, "fake-model", A1, later))
        assert tests[later].passed and "judged with the reference version of build-mlp" in told, (later, told)


def test_relabelled_cells_are_still_the_students_code(red_team):
    assert passed_tests(red_team, "relabelled-cells", A1)["test_add_noise"] is False


def test_reading_the_history_leaks_no_check(red_team):
    page = (red_team / "feedback" / "reads-history" / A1 / "noise_mlp.html").read_text()
    verifier = (course.REPO / "autograder" / "verify" / "a1_noise_mlp.py").read_text()
    notebook = examples.notebook_path(A1).read_text()
    lines = {line.strip() for line in verifier.splitlines() if len(line.strip()) > 30 and line.strip() not in notebook}
    assert not [line for line in lines if line in page]
    assert "BEGIN HIDDEN" not in page  # no hidden test runs in the kernel: the checks live in the verifier
    assert float(grades(red_team)[("reads-history", A1)]["auto_score"]) == 15


def test_student_script_never_runs_in_feedback_or_report(red_team):
    page = (red_team / "feedback" / "injects-script" / A1 / "noise_mlp.html").read_text()
    assert "window.pwned" in page  # shown as text ...
    assert not re.search(r"<script>\s*window\.pwned|<img[^>]*onerror", page)  # ... never as markup that runs
    assert not re.search(r"<script>\s*window\.pwned", (red_team / "report" / "index.html").read_text())


def test_links_are_refused_with_a_clear_status(red_team):
    assert "hard link" in grades(red_team)[("linked", A1)]["status"]


def test_honest_code_unlike_the_master_gets_full_marks_and_no_note(red_team):
    row = grades(red_team)[("honest-variant", A1)]
    assert float(row["auto_score"]) == 15, result(red_team, "honest-variant", A1).tests
    assert row["scan_notes"] == "" and row["review"] == ""


def test_nbgrader_markup_in_a_students_text_is_shown_as_text_and_graded(red_team):
    row = grades(red_team)[("nbgrader-markup", A1)]
    assert row["status"] == "graded", row["status"]
    assert passed_tests(red_team, "nbgrader-markup", A1)["test_add_noise"] is True
    page = (red_team / "feedback" / "nbgrader-markup" / A1 / "noise_mlp.html").read_text()
    assert page.count("BEGIN HIDDEN TESTS") >= 4 and "{% raw %}" in page  # two cells, two lines each
