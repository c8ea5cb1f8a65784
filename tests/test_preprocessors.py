import json

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


def _display(data, metadata=None):
    return {"output_type": "display_data", "data": data, "metadata": metadata or {}}


OVERSIZED = {  # one of each kind of output, each far over the limit of one output (2,000,000)
    "image": _display({"image/png": "iVBORw0KGgo" * 500_000, "text/plain": "<Figure>"}),
    "json": _display({"application/json": {"rows": [{"x": i, "y": "z" * 20} for i in range(200_000)]}}),
    "metadata": _display({"text/plain": "small"}, {"note": "m" * 3_000_000}),
    "unknown mime": _display({"application/vnd.custom+json": {"blob": "b" * 3_000_000}}),
    "html": _display({"text/html": "<b>" * 2_000_000}),
    "error": {"output_type": "error", "ename": "ValueError", "evalue": "[Errno 28] " + "e" * 3_000_000,
              "traceback": ["\x1b[0;31m" + "t" * 100 + "\x1b[0m"] * 30_000},
}


def test_every_kind_of_output_is_held_to_the_limit_of_one_output():
    from autograder.preprocessors.limit_output_size import measure

    for kind, output in OVERSIZED.items():
        nb = nbformat.v4.new_notebook(cells=[_cell([json.loads(json.dumps(output))])])
        LimitOutputSize().preprocess(nb, {})
        kept = nb.cells[0].outputs
        assert len(kept) == 1 and measure(kept[0]) <= 2_000_000, kind
        assert len(json.dumps(kept[0])) <= 2_000_000, kind
    # an error keeps what the grade's status reads: its name and the start of its message
    nb = nbformat.v4.new_notebook(cells=[_cell([json.loads(json.dumps(OVERSIZED["error"]))])])
    LimitOutputSize().preprocess(nb, {})
    assert nb.cells[0].outputs[0]["ename"] == "ValueError" and nb.cells[0].outputs[0]["evalue"].startswith("[Errno 28]")


def test_the_notebook_and_its_feedback_page_stay_within_the_notebook_limit():
    from nbconvert import HTMLExporter

    image = _display({"image/png": "iVBORw0KGgo" * 180_000, "text/plain": "<Figure>"})  # ~1.98 MB: under one limit
    cells = [_cell([json.loads(json.dumps(image)) for _ in range(40)]) for _ in range(3)]
    cells.append(_cell([json.loads(json.dumps(OVERSIZED["error"]))]))
    nb = nbformat.v4.new_notebook(cells=cells)
    LimitOutputSize().preprocess(nb, {})
    assert len(nbformat.writes(nb)) < 10_500_000
    exporter = HTMLExporter()
    exporter.sanitize_html = True
    page, _ = exporter.from_notebook_node(nb)
    assert len(page) < 11_000_000
    assert nb.cells[-1].outputs[-1]["ename"] == "ValueError"  # over the notebook's limit, the error is still named


def test_a_cells_last_error_is_kept_past_its_output_limit():
    outputs = [{"output_type": "stream", "name": "stdout", "text": f"{i}\n"} for i in range(10_000)]
    outputs.append({"output_type": "error", "ename": "CellTimeoutError", "evalue": "stopped", "traceback": []})
    nb = nbformat.v4.new_notebook(cells=[_cell(outputs)])
    LimitOutputSize().preprocess(nb, {})
    kept = nb.cells[0].outputs
    assert len(kept) == 52 and kept[-2]["ename"] == "CellTimeoutError" and "9,950 more outputs" in kept[-1]["text"]


def test_a_kernel_that_dies_after_a_cell_hit_the_process_limit_is_reported_as_that_limit(tmp_path):
    from autograder import worker
    from autograder.preprocessors.execute import RecordingExecute

    progress = tmp_path / "progress.json"
    execute = RecordingExecute(progress_file=str(progress))
    execute._notebook, execute._student_code_ran, execute._seconds = "noise_mlp", True, {}
    execute._limit_hit = None
    error = {"output_type": "error", "ename": "BlockingIOError", "evalue": "[Errno 11]", "traceback": []}
    execute._note_limit(_cell([error]), 5)  # cell 6 started processes until the limit
    execute._note_limit(_cell([dict(error, ename="MemoryError")]), 9)  # the first limit is the cause
    execute._write(16, _cell([]), event="kernel died")  # threads cannot start any more: the kernel dies in cell 17
    problem = worker._lost_kernel(progress, "")
    assert problem.kind.value == "limit"
    assert problem.message.startswith("process limit hit in noise_mlp cell 6; the kernel then died in noise_mlp cell 17")

    execute._limit_hit = None  # without a limit before it, a dead kernel is the student's code
    execute._write(16, _cell([]), event="kernel died")
    assert worker._lost_kernel(progress, "").message.startswith("kernel died in noise_mlp cell 17")


def test_the_first_student_cell_waits_for_the_probes_and_the_wait_is_verification_time(monkeypatch):
    """The worker's probes run beside the set-up cells only: the kernel's first student cell waits for them once."""
    import time

    from nbgrader.preprocessors import Execute

    from autograder.preprocessors.execute import VERIFICATION_PHASE, RecordingExecute

    ran = []
    monkeypatch.setattr(Execute, "preprocess_cell", lambda self, cell, resources, index: (ran.append(index), cell,
                                                                                         resources)[1:])
    waits = []
    execute = RecordingExecute(setup_sources=["import numpy as np"],
                               before_student_code=lambda: (waits.append(list(ran)), time.sleep(0.2)))
    execute._notebook, execute._student_code_ran, execute._seconds, execute._started = "nb", False, {}, None
    execute._stopped_at = execute._limit_hit = None
    cells = [nbformat.v4.new_code_cell("import numpy as np"), nbformat.v4.new_markdown_cell("text"),
             nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("y = 2")]
    for index, cell in enumerate(cells):
        execute.preprocess_cell(cell, {}, index)
    assert waits == [[0, 1]] and ran == [0, 1, 2, 3]  # once, after the set-up cell, before the student's first
    assert 0.2 <= execute._seconds[VERIFICATION_PHASE] < 1.0
