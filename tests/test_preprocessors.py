import nbformat

from autograder.preprocessors.limit_output_size import LimitOutputSize
from autograder.preprocessors.strip_tracebacks import StripTestTracebacks


def _cell(outputs, **nbgrader):
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.NotebookNode(o) for o in outputs]
    if nbgrader:
        cell.metadata["nbgrader"] = nbgrader
    return cell


def test_limit_output_size_cuts_one_huge_line():
    cell = _cell([{"output_type": "stream", "name": "stdout", "text": "x" * 1_000_000}])
    nb = nbformat.v4.new_notebook(cells=[cell])
    LimitOutputSize(max_chars=100).preprocess(nb, {})
    assert len(nb.cells[0].outputs[0]["text"]) < 200 and "truncated: 1,000,000" in nb.cells[0].outputs[0]["text"]


def test_strip_tracebacks_only_in_test_cells():
    error = {"output_type": "error", "ename": "AssertionError", "evalue": "wrong", "traceback": ["secret line"]}
    test = _cell([dict(error)], grade=True, solution=False, grade_id="t")
    answer = _cell([dict(error)], grade=False, solution=True, grade_id="a")
    nb = nbformat.v4.new_notebook(cells=[test, answer])
    StripTestTracebacks().preprocess(nb, {})
    assert nb.cells[0].outputs[0]["traceback"] == ["AssertionError: wrong"]
    assert nb.cells[1].outputs[0]["traceback"] == ["secret line"]


def test_hidden_test_markup_in_a_students_cell_is_left_as_it_is():
    from autograder.preprocessors.clear_hidden_tests import ClearHiddenTestsInTestCells

    unclosed = "# ### BEGIN HIDDEN TESTS\nx = 1"
    test = nbformat.v4.new_code_cell("check()\n### BEGIN HIDDEN TESTS\nsecret()\n### END HIDDEN TESTS")
    test.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "t", "locked": True, "points": 1}
    answer = nbformat.v4.new_code_cell(unclosed)
    answer.metadata["nbgrader"] = {"grade": False, "solution": True, "grade_id": "a", "locked": False}
    note = nbformat.v4.new_markdown_cell("### BEGIN HIDDEN TESTS\n### BEGIN HIDDEN TESTS")
    nb = nbformat.v4.new_notebook(cells=[test, answer, note])
    ClearHiddenTestsInTestCells(enforce_metadata=False).preprocess(nb, {})
    assert "secret" not in nb.cells[0].source and "check()" in nb.cells[0].source
    assert nb.cells[1].source == unclosed and nb.cells[2].source.count("BEGIN HIDDEN TESTS") == 2
