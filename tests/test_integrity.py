"""The static scan annotates the instructor's report; it never decides points (the verifier does)."""

import nbformat
import pytest

from autograder import examples, integrity

A1 = "a1_noise_mlp"
A2 = "a2_depth_bn_dropout"


def _release(assignment: str = A1):
    return nbformat.read(examples.notebook_path(assignment, solution=False), as_version=4)


def _scan(code: str, assignment: str = A1, after: str = "build_mlp") -> list[str]:
    return integrity.scan_notebook(examples.add_code(examples.solved(assignment), after, code), _release(assignment))


# Legitimate notebook code that an earlier scan flagged: the corpus only grows.
LEGITIMATE = [
    'model = build_mlp()\nmodel.compile(optimizer="adam")',
    "import sys\nprint(sys.version)",
    "import gc\ngc.collect()",
    "%matplotlib inline",
    "%time x = 1 + 1",
    "import matplotlib.pyplot as plt\nplt.rcParams['figure.figsize'] = (8, 4)",
    "import matplotlib as mpl\nmpl.rcParams.update({'font.size': 9})",
    "models = {}\nmodels['base'] = build_mlp()",
    "noise = 0.3\nprint(noise * 2)",
    "import numpy as np\nrng = np.random.default_rng(0)\nsample = rng.normal(size=3)",
    "import pandas as pd\ndf = pd.DataFrame({'a': [1, 2]})\ndf['b'] = df['a'] * 2",
    "results = {}\nfor name in ['a', 'b']:\n    results[name] = len(name)",
]


@pytest.mark.parametrize("code", LEGITIMATE)
def test_legitimate_code_is_not_flagged(code):
    assert _scan(code) == []


def test_master_is_not_flagged():
    for assignment in (A1, A2):
        assert integrity.scan_notebook(examples.solved(assignment), _release(assignment)) == []


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
def test_tampering_is_noted(code, found):
    problems = _scan(code)
    assert any(found in p for p in problems), problems


def test_cells_are_judged_by_id_and_source_not_by_their_metadata():
    nb = examples.solved(A1)
    added = nbformat.v4.new_code_cell("checks.accuracy = lambda *a: 1.0")
    added.metadata["nbgrader"] = {"grade": False, "solution": False, "locked": True, "grade_id": "setup"}
    nb.cells.append(added)  # a cell the student added and labelled as locked
    assert any("checks.accuracy" in p for p in integrity.scan_notebook(nb, _release()))
