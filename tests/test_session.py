"""helpers.session in a real kernel: warnings on stdout, a hint for cells run out of order."""

import nbformat
from nbclient import NotebookClient


def _run(cells):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=120, allow_errors=True, kernel_name="python3").execute()
    return nb.cells


def test_out_of_order_hint_and_warnings_on_stdout():
    cells = _run(["from helpers import session\nsession.start()",
                  "import warnings\nwarnings.warn('library noise')",
                  "x_train_noisy.shape"])
    warning_outputs = cells[1].outputs
    assert all(o.get("name") != "stderr" for o in warning_outputs) and "library noise" in warning_outputs[0]["text"]
    error = next(o for o in cells[2].outputs if o.output_type == "error")
    assert error.ename == "NameError"  # still an error: nbgrader still fails a test cell that raises it
    assert any("Run the cells above this one in order" in line for line in error.traceback)


def test_tensorflow_logs_do_not_reach_stderr_of_later_cells(monkeypatch):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")  # as on a machine with verbose TensorFlow logging
    monkeypatch.delenv("PYTEST_CURRENT_TEST")  # else ipykernel does not forward native stderr to cell outputs
    cells = _run(["from helpers import session\nsession.start()\nimport keras",
                  "from reference import models\nmodels.mlp((8,)).count_params()"])
    assert not [o for o in cells[1].outputs if o.get("name") == "stderr"], cells[1].outputs
    assert not [o for o in cells[0].outputs if o.get("name") == "stderr"], cells[0].outputs  # no red log block
