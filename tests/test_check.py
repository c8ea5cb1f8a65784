"""`python -m autograder check NOTEBOOK`: a self-learner's own notebook gets the grader's verdict in the terminal."""

from __future__ import annotations

import re

import nbformat
import pytest

from autograder import examples
from tests.grading import run_cli
from tests.test_honest_grading import BROKEN_BWRAP, fake_commands

pytestmark = pytest.mark.slow
A1 = "a1_noise_mlp"


def _check(tmp_path, nb, name, path=()):
    notebook = tmp_path / f"{name}.ipynb"
    notebook.write_text(nb if isinstance(nb, str) else nbformat.writes(nb))
    return run_cli("check", str(notebook), "--out", str(tmp_path / f"out-{name}"), budget=None, path=path)


def test_a_complete_notebook_gets_full_marks_and_without_a_sandbox_a_warning(tmp_path):
    """Where bubblewrap cannot start, the check still runs, as the user, and says so."""
    completed = _check(tmp_path, examples.solved(A1), "mine", path=[fake_commands(tmp_path / "bin", bwrap=BROKEN_BWRAP)])
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "warning: no sandbox works on this machine" in completed.stderr
    assert "autograded: 15 / 15" in completed.stdout and "\u2717" not in completed.stdout
    assert "\u2713 test_compile_and_fit" in completed.stdout
    page = next(line.split(": ", 1)[1] for line in completed.stdout.splitlines() if line.startswith("feedback page"))
    assert "compile_and_fit" in open(page).read()


def test_a_mistake_fails_its_step_with_the_message_and_a_blank_notebook_scores_zero(tmp_path):
    mistake = next(m for m in examples.MUTATIONS if m.name == "wrong_width")  # no later step is judged again for it
    completed = _check(tmp_path, examples.mutate(examples.solved(A1), mistake.cell, mistake.source), "mistake")
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert re.search(r"\u2717 test_build_mlp +0 / 2\n +grader's check: build_mlp\(\) has 337,674 parameters, "
                     r"expected 669,706", completed.stdout), completed.stdout
    assert "autograded: 13 / 15" in completed.stdout and "written answers (5 points) are graded by a person" in \
        completed.stdout
    blank = _check(tmp_path, examples.notebook_path(A1, solution=False).read_text(), "blank")
    assert blank.returncode == 0 and "autograded: 0 / 15" in blank.stdout


def test_a_notebook_of_no_assignment_is_refused_with_a_clear_message(tmp_path):
    other = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    completed = _check(tmp_path, other, "other")
    assert completed.returncode == 2 and "is none of the assignments" in completed.stderr
    assert "Traceback" not in completed.stderr
