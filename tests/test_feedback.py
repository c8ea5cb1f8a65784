"""Feedback pages when a submission's content breaks their conversion: logged, made without it, the student's problem."""

from __future__ import annotations

from types import SimpleNamespace

import nbformat

from autograder import worker
from autograder.results import ProblemKind

BREAKS = "text that the conversion cannot take"


class FakeApi:
    """Stands in for nbgrader's API: feedback fails while ``BREAKS`` is in a notebook (or always)."""

    def __init__(self, folder, always_fails: bool = False):
        self.folder, self.always_fails, self.calls = folder, always_fails, []

    def generate_feedback(self, assignment, student, force):
        texts = "".join(p.read_text() for p in self.folder.glob("*.ipynb"))
        self.calls.append(texts)
        if self.always_fails or BREAKS in texts:
            return {"success": False, "log": "[ERROR] converting", "error": "Traceback ...\nValueError: cannot convert"}
        return {"success": True}


def notebook(folder):
    """An autograded notebook: a locked test cell, the student's answer and a note they added that break the
    conversion."""
    locked = nbformat.v4.new_code_cell("check(answer)")
    locked.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": "t", "points": 1}
    answer = nbformat.v4.new_code_cell(f"answer = 1  # {BREAKS}", outputs=[nbformat.v4.new_output(
        "stream", name="stdout", text=BREAKS)])
    answer.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False, "grade_id": "a"}
    path = folder / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[locked, answer, nbformat.v4.new_markdown_cell(BREAKS)]), path)
    return path


def releases(folder):
    """The release the notebook came from: the locked cell as it is, the answer cell as a stub."""
    nb = nbformat.read(folder / "nb.ipynb", as_version=4)
    nb.cells[1].source, nb.cells[1].outputs = "raise NotImplementedError()", []
    return {"nb": nbformat.v4.new_notebook(cells=nb.cells[:2])}


def test_content_that_breaks_the_feedback_is_left_out_logged_and_the_students_problem(tmp_path, capsys):
    path = notebook(tmp_path)
    before = path.read_bytes()
    api = FakeApi(tmp_path)
    problems = worker._feedback(api, SimpleNamespace(assignment="a1", student="s"), tmp_path, releases(tmp_path))
    assert [p.kind for p in problems] == [ProblemKind.STUDENT] and "points are not affected" in problems[0].message
    assert "ValueError: cannot convert" in problems[0].message
    assert len(api.calls) == 2 and "check(answer)" in api.calls[1] and worker.TEXT_LEFT_OUT in api.calls[1]
    assert path.read_bytes() == before  # the stored autograded notebook is the one that was graded
    assert "Traceback" in capsys.readouterr().out  # the job's log has the cause


def test_a_feedback_step_that_fails_anyway_is_the_graders_failure(tmp_path):
    notebook(tmp_path)
    problems = worker._feedback(FakeApi(tmp_path, always_fails=True), SimpleNamespace(assignment="a1", student="s"),
                                tmp_path, releases(tmp_path))
    assert [p.kind for p in problems] == [ProblemKind.INFRASTRUCTURE]
    assert "feedback could not be generated" in problems[0].message


def test_feedback_that_works_is_made_once(tmp_path):
    path = notebook(tmp_path)
    path.write_text(path.read_text().replace(BREAKS, "fine"))
    api = FakeApi(tmp_path)
    assert worker._feedback(api, SimpleNamespace(assignment="a1", student="s"), tmp_path, releases(tmp_path)) == [] \
        and len(api.calls) == 1
