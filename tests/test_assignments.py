"""Every assignment through the real autograder at the smoke budget.

Masters get full autograded marks, released notebooks zero, and every autograded test rejects
at least one mutated solution (autograder/examples.py lists them with the tests they must fail).
"""

from __future__ import annotations

import pytest

from autograder import course, examples
from tests.grading import grades, passed_tests, run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    submissions, out = root / "submissions", root / "out"
    for assignment in course.assignments():
        examples.write_submission(submissions, "master", assignment, examples.solved(assignment))
        examples.write_submission(submissions, "blank", assignment,
                                  examples.notebook_path(assignment, solution=False).read_text())
    for mutation in examples.MUTATIONS:
        nb = examples.mutate(examples.solved(mutation.assignment), mutation.cell, mutation.source)
        examples.write_submission(submissions, mutation.name.replace("_", "-"), mutation.assignment, nb)
    completed = run_cli("grade", str(submissions), "--out", str(out), "--workers", "2")
    assert completed.returncode == 0, completed.stderr[-3000:]
    return out


@pytest.mark.parametrize("assignment", course.assignments())
def test_master_gets_full_autograded_marks(graded, assignment):
    row = grades(graded)[("master", assignment)]
    assert row["status"] == "graded"
    assert float(row["auto_score"]) == float(row["auto_max_score"]) > 0, passed_tests(graded, "master", assignment)


@pytest.mark.parametrize("assignment", course.assignments())
def test_release_scores_zero_without_crashing(graded, assignment):
    row = grades(graded)[("blank", assignment)]
    assert row["status"] == "graded"
    assert float(row["auto_score"]) == 0.0


@pytest.mark.parametrize("mutation", examples.MUTATIONS, ids=lambda m: m.name)
def test_mutation_fails_its_tests(graded, mutation):
    outcome = passed_tests(graded, mutation.name.replace("_", "-"), mutation.assignment)
    for test in mutation.fails:
        assert outcome[test] is False, f"{mutation.name} should fail {test}: {outcome}"
    assert any(outcome.values()) or mutation.fails, "a mutation should not break unrelated tests"


def test_every_autograded_test_has_a_mutation_that_fails_it():
    tests = set()
    for assignment in course.assignments():
        nb = examples.solved(assignment)
        tests |= {(assignment, c.metadata["nbgrader"]["grade_id"]) for c in nb.cells
                  if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
    covered = {(m.assignment, t) for m in examples.MUTATIONS for t in m.fails}
    assert tests <= covered, f"tests without a failing mutation: {sorted(tests - covered)}"
