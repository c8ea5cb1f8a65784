"""Student notebooks are generated from the masters and must stay in sync."""

import json

import nbformat

from autograder import course
from autograder.release import release


def test_release_matches_committed_notebooks(tmp_path):
    written = release(out=tmp_path)
    assert {p.relative_to(tmp_path) for p in written} == {p.relative_to(course.RELEASES)
                                                           for p in course.RELEASES.glob("*/*.ipynb")}
    for path in written:
        committed = course.RELEASES / path.relative_to(tmp_path)
        assert json.loads(path.read_text()) == json.loads(committed.read_text()), (
            f"{committed} is out of date: run `make release` and commit the result")


def test_student_notebooks_have_no_solutions_hidden_tests_or_outputs():
    for path in course.RELEASES.glob("*/*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        text = path.read_text()
        assert "BEGIN HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text and "rubric" not in text.lower()
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
        assert "raise NotImplementedError()" in text


def test_masters_committed_without_outputs():
    for path in course.SOLUTIONS.glob("*/*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
