"""Every assignment through the real autograder at the smoke budget.

Masters get full autograded marks, released notebooks zero, every autograded test rejects at least
one mutated solution and accepts at least one correct answer written unlike the master
(autograder/examples.py lists both with the tests they must fail or pass). The mistakes are graded in
as few notebooks as keeps each one's verdicts its own (autograder/mistakes.py).
"""

from __future__ import annotations

import pytest

from autograder import agreement, course, examples, mistakes
from autograder.store import ResultStore
from autograder.verify.judge import checks_for
from tests.conftest import SHARED_CLASS_GROUP
from tests.grading import autograded_notebook_text, cell_outputs, grades, passed_tests

pytestmark = pytest.mark.slow


def class_submissions(submissions):
    """Masters, releases, every mistake and every variant (graded in the session's shared class)."""
    for assignment in course.assignments():
        examples.write_submission(submissions, "master", assignment, examples.solved(assignment))
        examples.write_submission(submissions, "blank", assignment,
                                  examples.notebook_path(assignment, solution=False).read_text())
        examples.write_submission(submissions, "first-step-only", assignment, _first_step_only(assignment)[0])
    for joined in mistakes.mistake_sets():
        examples.write_submission(submissions, joined.student, joined.assignment, joined.notebook())
    for variant in examples.VARIANTS:
        examples.write_submission(submissions, variant.name.replace("_", "-"), variant.assignment, variant.notebook())


def _first_step_only(assignment: str):
    """The release with only its first answer cell written (the master's), and the points of that step's test."""
    master = examples.solved(assignment)
    answers = [c for c in master.cells if c.metadata.get("nbgrader", {}).get("solution")]
    first = answers[0].metadata["nbgrader"]["grade_id"]
    after = master.cells[master.cells.index(answers[0]) + 1:]
    test = next(c for c in after if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade"))
    released = examples.mutate(examples.released(assignment), first, answers[0].source)
    return released, test.metadata["nbgrader"]["points"]


@pytest.fixture(scope="module")
def graded(shared_class):
    return shared_class.out


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


@pytest.mark.parametrize("assignment", course.assignments())
def test_a_notebook_with_only_its_first_step_scores_that_step_only(graded, assignment):
    """A later step is never judged on a cell the master wrote: a stub stays a stub when a step is judged again."""
    row = grades(graded)[("first-step-only", assignment)]
    expected = _first_step_only(assignment)[1]
    assert float(row["auto_score"]) == expected, passed_tests(graded, "first-step-only", assignment)


@pytest.mark.parametrize("mutation", examples.MUTATIONS, ids=lambda m: m.name)
def test_mutation_fails_its_tests(graded, mutation):
    joined = mistakes.set_of(mutation.name)
    outcome = passed_tests(graded, joined.student, mutation.assignment)
    failed = {test for test, passed in outcome.items() if not passed}
    # exactly these: a mistake costs its own step's points, never a later step's too (a mistake is charged once);
    # the other mistakes of its notebook fail other tests, none of which is judged with or again for these
    assert set(mutation.fails) <= failed == joined.fails, f"{joined.student} should fail {sorted(joined.fails)} only: {outcome}"


def test_mistakes_share_a_notebook_only_when_their_tests_are_unrelated():
    """Every mistake is graded once; two in one notebook change different cells and fail tests that no rescue links."""
    sets = mistakes.mistake_sets()
    assert sorted(m.name for s in sets for m in s.mutations) == sorted(m.name for m in examples.MUTATIONS)
    assert len(sets) < len(examples.MUTATIONS)
    for joined in sets:
        rescue = checks_for(joined.assignment).RESCUE
        for i, a in enumerate(joined.mutations):
            for b in joined.mutations[i + 1:]:
                assert a.cell != b.cell
                for x in a.fails:
                    assert all(x != y and x not in rescue.get(y, {}) and y not in rescue.get(x, {}) for y in b.fails)
    assert mistakes.set_of("wrong_width").student == "wrong-width"  # the tests' small classes grade it alone


def test_a_check_mark_in_the_notebook_means_the_grader_agrees(graded):
    """No example mistake passes a notebook's own test and fails the grader's check unless it says so (the test cell
    tells the student what the grader adds); on the masters and the correct variants they agree on every test."""
    found = agreement.rows(graded)
    assert {row.mistake for row in found} == {m.name for m in examples.MUTATIONS}
    assert not [row for row in found if row.unseen]
    correct = {"master"} | {v.name.replace("_", "-") for v in examples.VARIANTS}
    for result in ResultStore(graded).all():
        if result.student_id in correct:
            assert not result.reviews and all(t.notebook_passed for t in result.tests), (result.student_id, result.tests)


def test_the_visible_checks_page_is_current(graded):
    assert agreement.DOCUMENT.read_text() == agreement.markdown(agreement.rows(graded)), \
        "docs/visible-checks.md is stale: grade the examples and run python -m autograder.agreement OUT"


def test_a_notebook_that_ignores_the_budget_trains_within_the_graders(graded):
    """``epochs=20`` written by hand: under the grader each fit stops at the budget's epochs and says so; the step
    that ignored the budget loses its points, the later steps are judged with the reference compile_and_fit."""
    text = autograded_notebook_text(graded, mistakes.set_of("ignores_budget_epochs").student, "a1_noise_mlp")
    assert "The grader trains for at most 3 epochs (its 'smoke' budget); this fit asked for 20." in text


def test_a_mistake_in_an_early_step_is_charged_once(graded):
    student = mistakes.set_of("build_mlp_raises").student
    outcome = passed_tests(graded, student, "a2_depth_bn_dropout")
    assert outcome["test_build_mlp"] is False and outcome["test_trained"] and outcome["test_results"], outcome
    outputs = cell_outputs(graded, student, "a2_depth_bn_dropout", "test_results")
    told = "".join("".join(o.get("text", "")) for o in outputs)  # stored as one string or a list of lines
    assert "judged with the reference version of build-mlp" in told


def _autograded_tests() -> set[tuple[str, str]]:
    tests = set()
    for assignment in course.assignments():
        nb = examples.solved(assignment)
        tests |= {(assignment, c.metadata["nbgrader"]["grade_id"]) for c in nb.cells
                  if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
    return tests


@pytest.mark.parametrize("variant", examples.VARIANTS, ids=lambda v: v.name)
def test_a_correct_answer_written_unlike_the_master_passes(graded, variant):
    outcome = passed_tests(graded, variant.name.replace("_", "-"), variant.assignment)
    assert all(outcome[test] for test in variant.passes), outcome


def test_every_autograded_test_has_a_correct_variant_that_passes_it():
    tests = _autograded_tests()
    assert tests <= {(v.assignment, t) for v in examples.VARIANTS for t in v.passes}


def test_every_autograded_test_has_a_mutation_that_fails_it():
    tests = _autograded_tests()
    covered = {(m.assignment, t) for m in examples.MUTATIONS for t in m.fails}
    assert tests <= covered, f"tests without a failing mutation: {sorted(tests - covered)}"


def test_the_shared_class_is_graded_in_one_test_process(request, shared_class):
    """Under `make test` (two pytest-xdist processes) every test that reads the shared class is in one group."""
    if hasattr(request.config, "workerinput"):  # an xdist worker
        assert request.node.nodeid.endswith(f"@{SHARED_CLASS_GROUP}"), request.node.nodeid
