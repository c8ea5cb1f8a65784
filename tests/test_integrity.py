import pytest

from autograder import examples, integrity

A1 = "a1_noise_mlp"


def test_master_and_honest_code_are_not_flagged():
    assert integrity.scan_notebook(examples.solved(A1)) == []
    nb = examples.add_code(examples.solved(A1), "build_mlp", 'model = build_mlp()\nmodel.compile(optimizer="adam")')
    assert integrity.scan_notebook(nb) == []


@pytest.mark.parametrize("code, found", [
    ("checks.check_noise_function = lambda *a, **k: None", "changes checks.check_noise_function"),
    ("np.testing.assert_allclose = print", "changes np.testing.assert_allclose"),
    ("import os\nos.environ['NNLAB_BUDGET'] = 'smoke'", "changes os.environ['NNLAB_BUDGET']"),
    ("import os\nos.environ.update(NNLAB_BUDGET='smoke')", "changes the environment"),
    ("%env NNLAB_BUDGET=smoke", "calls get_ipython()"),
    ("setattr(checks, 'accuracy', lambda *a: 1.0)", "calls setattr()"),
    ("import builtins", "imports builtins"),
    ("exec('x = 1')", "calls exec()"),
    ("get_ipython().events.register('pre_run_cell', print)", "calls get_ipython()"),
])
def test_tampering_is_found(code, found):
    nb = examples.add_code(examples.solved(A1), "build_mlp", code)
    problems = integrity.scan_notebook(nb)
    assert any(found in p for p in problems), problems


def test_locked_cells_are_not_scanned_but_added_cells_are():
    import nbformat

    nb = examples.solved(A1)
    nb.cells.append(nbformat.v4.new_code_cell("checks.accuracy = lambda *a: 1.0"))  # a cell the student added
    assert any("checks.accuracy" in p for p in integrity.scan_notebook(nb))
