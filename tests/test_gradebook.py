"""The gradebook files: a job's private copy commits without a disk flush, every other keeps SQLite's durable default."""

from __future__ import annotations

from sqlalchemy import text

from autograder import course, gradebook


def test_only_the_jobs_copy_commits_without_a_flush(tmp_path):
    job_copy, other = tmp_path / "job" / "gradebook.db", tmp_path / "class" / "gradebook.db"
    job_copy.parent.mkdir()
    other.parent.mkdir()
    gradebook.commit_without_fsync(job_copy)  # as a worker does for its job (the listener matches this file only)
    modes = []
    for path in (job_copy, other):
        with course.gradebook(f"sqlite:///{path}") as gb:
            gb.add_student("ada")  # a write and a commit through nbgrader's own engine
            modes.append(gb.db.execute(text("PRAGMA synchronous")).scalar())
    assert modes == [0, 2]  # OFF for the job's copy, FULL (SQLite's default) for the class gradebook
    with course.gradebook(f"sqlite:///{job_copy}") as gb:  # what was written is there
        assert [s.id for s in gb.students] == ["ada"]
