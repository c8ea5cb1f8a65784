"""A JupyterHub course through nbgrader's exchange (a local exchange folder): release, fetch, submit, collect,
grade with the kit, release feedback, and the student fetches it."""

from __future__ import annotations

import pytest
from traitlets.config import Config

from autograder import course, examples
from tests.grading import grades, run_cli

pytestmark = pytest.mark.slow
A1 = "a1_noise_mlp"


def _as_student(app, exchange, home):
    """Run one of nbgrader's student exchange steps (fetch, submit, fetch feedback) for A1 from ``home``."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory

    config = Config()
    config.CourseDirectory.course_id = course.COURSE_ID
    config.CourseDirectory.assignment_id = A1
    config.Exchange.root = str(exchange)
    config.Exchange.assignment_dir = str(home)
    app(coursedir=CourseDirectory(config=config), authenticator=Authenticator(config=config), config=config).start()


def test_feedback_returns_through_the_exchange(tmp_path):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.exchange.default import ExchangeFetchAssignment, ExchangeFetchFeedback, ExchangeSubmit

    exchange, instructor, home = tmp_path / "exchange", tmp_path / "instructor", tmp_path / "student"
    for folder in (exchange, instructor, home):
        folder.mkdir()
    config = course.nbgrader_config(root=instructor, release=instructor / "release")
    config.Exchange.root = str(exchange)
    api = NbGraderAPI(config=config)
    assert api.generate_assignment(A1, force=True, create=True)["success"]
    assert api.release_assignment(A1)["success"]

    _as_student(ExchangeFetchAssignment, exchange, home)
    fetched = home / A1 / "noise_mlp.ipynb"
    assert fetched.is_file()
    examples.write_submission(tmp_path / "answers", "me", A1, examples.solved(A1))  # the student's work
    fetched.write_text((tmp_path / "answers" / "me" / A1 / "noise_mlp.ipynb").read_text())
    _as_student(ExchangeSubmit, exchange, home)
    assert api.collect(A1)["success"]

    out = tmp_path / "out"
    graded = run_cli("grade", str(instructor / "submitted"), "--out", str(out))
    assert graded.returncode == 0, graded.stderr[-2000:]
    (student, _), row = next(iter(grades(out).items()))
    assert row["status"] == "graded" and float(row["auto_score"]) == 15
    released = run_cli("feedback", "--out", str(out), "--exchange", str(exchange))
    assert released.returncode == 0 and "released through the exchange" in released.stdout, released.stderr[-2000:]

    _as_student(ExchangeFetchFeedback, exchange, home)
    pages = list((home / A1 / "feedback").glob("*/noise_mlp.html"))
    assert len(pages) == 1 and "Score: 15.0 / 20.0" in pages[0].read_text()
    assert "HIDDEN TESTS" not in pages[0].read_text()
