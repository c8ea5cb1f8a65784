"""Typed results: problem kinds decide whether a submission was graded, and scores are computed in one place."""

from __future__ import annotations

import functools

import pytest

from autograder.results import GradeRow, Problem, ProblemKind, Result, Scores, TestOutcome
from autograder.settings import Limits, SettingsError, make_settings

GRADES = [GradeRow("nb", "test_a", "code", 3, auto_score=3.0), GradeRow("nb", "test_b", "code", 2, auto_score=0.0),
          GradeRow("nb", "answer", "markdown", 2, needs_manual_grade=True)]


def _result(*problems: Problem, flags=(), reviews=()) -> Result:
    return Result("ada", "a1", max_score=7, auto_max_score=5, problems=list(problems), flags=list(flags), reviews=list(reviews),
                  grades=list(GRADES), tests=[TestOutcome("nb", "test_a", 3, 3.0), TestOutcome("nb", "test_b", 2, 0.0)])


def test_student_and_limit_problems_are_graded():
    result = _result(Problem.student("test cell test_b edited (restored)"), Problem.limit("cell time limit in nb cell 4"))
    assert result.graded and result.scores == Scores(3.0, 7, 3.0, 5, True)
    assert result.status == "test cell test_b edited (restored); cell time limit in nb cell 4"
    assert [t.passed for t in result.tests] == [True, False]


def test_an_infrastructure_problem_means_no_score():
    result = _result(Problem.student("x"), Problem.infrastructure("the kernel did not start"))
    assert not result.graded and result.scores is None
    assert result.status == "not graded: the kernel did not start"


def test_scan_notes_never_change_points_and_manual_scores_count():
    noted = _result(flags=["cell 3, line 1: uses builtins"])
    assert noted.scores.auto_score == 3.0 and noted.status == "graded"
    assert _result(reviews=["test_b: the notebook's own test passed but the grader's check failed"]).needs_review
    graded_by_hand = [*GRADES[:2], GradeRow("nb", "answer", "markdown", 2, manual_score=1.5)]
    assert Scores.from_grades(graded_by_hand) == Scores(4.5, 7, 3.0, 5, False)


def test_results_survive_a_round_trip_through_json():
    result = _result(Problem.limit("memory limit hit in nb cell 2"))
    again = Result.from_dict(result.to_dict())
    assert again == result and again.problems[0].kind is ProblemKind.LIMIT


def test_settings_are_validated_and_fingerprinted(mirror, tmp_path):
    base = make_settings(budget="grade", data_dir=mirror)
    assert base.data_dir == str(mirror.resolve()) and base.training_cell_timeout == 300
    assert make_settings(budget="grade", data_dir=mirror).fingerprint() == base.fingerprint()
    assert make_settings(budget="smoke", data_dir=mirror).fingerprint() != base.fingerprint()
    assert make_settings(budget="grade", data_dir=mirror, limits=Limits(memory_bytes=2**30)).fingerprint() \
        != base.fingerprint()
    with pytest.raises(SettingsError, match="unknown budget"):
        make_settings(budget="huge", data_dir=mirror)
    with pytest.raises(SettingsError, match="lacks mnist.npz"):
        make_settings(budget="grade", data_dir=tmp_path)
    with pytest.raises(SettingsError, match="no dataset mirror"):
        make_settings(budget="grade", data_dir=None)


def test_a_failing_supervisor_gives_not_graded_not_a_crash(mirror, tmp_path):
    from autograder.job import Job
    from autograder.runners.local import LocalRunner

    (tmp_path / "a-file").write_text("")
    job = Job(student="ada", assignment="a1", folder=str(tmp_path), work=str(tmp_path / "a-file" / "work"),
              template_db="", settings=make_settings(budget="grade", data_dir=mirror), max_score=18,
              auto_max_score=13, notebooks=1, key="k")
    [(_, result)] = list(LocalRunner(1).run([job]))
    assert not result.graded and result.status.startswith("not graded: the grading supervisor failed")


def test_the_graders_set_up_cells_are_not_held_to_the_students_cell_limit():
    """A short --cell-timeout on a busy machine must not stop the imports and data loading (the grader's code)."""
    import nbformat

    from autograder import course

    setup = course.setup_sources("a1_noise_mlp")
    limit = functools.partial(course.cell_timeout, default=20, training=300, setup=setup)
    imports = nbformat.v4.new_code_cell(setup[0] + "\n")  # as it stands in a submission
    student = nbformat.v4.new_code_cell(setup[0] + "\nprint('mine')")
    training = nbformat.v4.new_code_cell("fit()", metadata={"nnlab": {"training": True}})
    assert [limit(imports), limit(student), limit(training)] == [course.SETUP_CELL_TIMEOUT_S, 20, 300]
