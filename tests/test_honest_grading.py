"""A failure of the grader is never a student's grade: sandbox proof, retries, `not graded`, settings, resume,
instructors' manual grades, process hygiene. Each test fakes the machine a new user may have (a `docker`
command with no daemon, a broken or flaky `bwrap`, a stale NNLAB_BUDGET) with scripts first on PATH.
"""

from __future__ import annotations

import csv
import re
import shutil
import stat
from pathlib import Path

import nbformat
import pytest

from autograder import course, examples
from tests.grading import autograded_notebook_text, grades, result, run_cli

pytestmark = pytest.mark.slow
A1 = "a1_noise_mlp"
REAL_BWRAP = shutil.which("bwrap") or "/usr/bin/bwrap"

NO_DOCKER_DAEMON = """#!/bin/sh
echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2
exit 1
"""
BROKEN_BWRAP = """#!/bin/sh
echo "bwrap: setting up uid map: Permission denied" >&2
exit 1
"""
# Fails the first sandbox of every grading job (a folder under work/jobs/: its kernel or its probe, whichever starts
# first) once, or every sandbox always; the sandbox proof before grading passes.
FLAKY_BWRAP = """#!/bin/sh
prev=""; scratch=""
for a in "$@"; do [ "$prev" = "--chdir" ] && scratch="$a"; prev="$a"; done
case "$scratch" in
  */work/jobs/*)
    job="${{scratch%%/work/jobs/*}}/work/jobs/$(printf '%s' "${{scratch#*/work/jobs/}}" | cut -d/ -f1)"
    mark="$job/.sandbox-failed-once"
    if [ "{mode}" = always ] || [ ! -e "$mark" ]; then
      touch "$mark"; echo "bwrap: simulated sandbox failure" >&2; exit 1
    fi;;
esac
exec {real} "$@"
"""


def fake_commands(folder: Path, **scripts: str) -> Path:
    """A folder of executable scripts (name -> text) to put first on PATH."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in scripts.items():
        path = folder / name
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return folder


def blank(extra_code: str = "") -> nbformat.NotebookNode:
    """The released notebook, with ``extra_code`` after the ``add_noise`` answer cell."""
    nb = examples.released(A1)
    return examples.add_code(nb, "add_noise", extra_code) if extra_code else nb


@pytest.fixture(scope="module")
def flaky_class(tmp_path_factory):
    """A master and a blank notebook graded at once, every job's first kernel failing, `docker` without a daemon.

    The two student ids differ only by a regular-expression metacharacter ('.' matches 'x'): the blank
    finishes first, and its clean-up must not end the master's kernel.
    """
    root = tmp_path_factory.mktemp("flaky")
    examples.write_submission(root / "subs", "sx1", A1, examples.solved(A1))
    examples.write_submission(root / "subs", "s.1", A1, blank())
    fakes = fake_commands(root / "bin", docker=NO_DOCKER_DAEMON, bwrap=FLAKY_BWRAP.format(mode="once", real=REAL_BWRAP))
    completed = run_cli("grade", str(root / "subs"), "--out", str(root / "out"), "--workers", "2", path=[fakes])
    return root / "out", completed


def test_docker_without_daemon_is_passed_over_for_a_working_bwrap(flaky_class):
    out, completed = flaky_class
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "sandbox bwrap" in completed.stdout
    assert {row["sandbox"] for row in grades(out).values()} == {"bwrap"}


def test_a_sandbox_failure_is_retried_and_the_grade_is_right(flaky_class):
    out, _ = flaky_class
    master = result(out, "sx1", A1)
    assert master.graded and master.status == "graded" and master.attempts == 2
    assert master.scores.auto_score == master.auto_max_score == 15
    log = (out / "work" / "jobs" / f"sx1__{A1}" / "attempts.log").read_text()
    assert re.match(r"attempt 1: not graded: (the kernel did not start|the grader's checks could not run: the "
                    r"sandboxed check process did not start)", log) and "attempt 2: graded" in log, log


def test_ids_that_differ_by_a_regex_metacharacter_do_not_hurt_each_other(flaky_class):
    out, _ = flaky_class
    assert grades(out)[("sx1", A1)]["status"] == "graded"
    assert grades(out)[("s.1", A1)]["status"] == "graded" and float(grades(out)[("s.1", A1)]["auto_score"]) == 0


def test_no_working_sandbox_refuses_to_grade(tmp_path):
    examples.write_submission(tmp_path / "subs", "ada", A1, blank())
    fakes = fake_commands(tmp_path / "bin", docker=NO_DOCKER_DAEMON, bwrap=BROKEN_BWRAP)
    completed = run_cli("grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), path=[fakes])
    assert completed.returncode == 2
    assert "no sandbox works" in completed.stderr and "apt-get install bubblewrap" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()
    demo = run_cli("demo", "--out", str(tmp_path / "demo"), path=[fakes], timeout=600)
    assert demo.returncode == 2 and "apt-get install bubblewrap" in demo.stderr
    assert not (tmp_path / "demo" / "graded" / "grades.csv").exists()


def test_a_demo_without_mirror_or_internet_says_what_to_do(tmp_path):
    unreachable = "http://127.0.0.1:9"  # nothing listens there: every download fails at once
    demo = run_cli("demo", "--out", str(tmp_path / "demo"), timeout=600,
                   env={"NNLAB_DATA_DIR": "", "KERAS_HOME": str(tmp_path / "keras"), "HTTPS_PROXY": unreachable,
                        "HTTP_PROXY": unreachable, "https_proxy": unreachable, "http_proxy": unreachable})
    assert demo.returncode == 2, demo.stderr[-2000:]
    assert "Traceback" not in demo.stderr and "export NNLAB_DATA_DIR=" in demo.stderr
    assert not (tmp_path / "demo" / "graded" / "grades.csv").exists()


def test_a_grader_that_keeps_failing_gives_no_grade_and_a_rerun_grades(tmp_path):
    examples.write_submission(tmp_path / "subs", "ada", A1, blank())
    fakes = fake_commands(tmp_path / "bin", bwrap=FLAKY_BWRAP.format(mode="always", real=REAL_BWRAP))
    out = tmp_path / "out"
    failed = run_cli("grade", str(tmp_path / "subs"), "--out", str(out), path=[fakes])
    assert failed.returncode == 3, failed.stdout[-2000:]
    row = grades(out)[("ada", A1)]
    assert row["status"].startswith("not graded: the kernel did not start") and row["attempts"] == "3"
    assert row["score"] == row["auto_score"] == ""
    assert "NOT GRADED" in failed.stderr
    assert "<li>infrastructure: 1 submission(s)</li>" in (out / "report" / "index.html").read_text()
    assert run_cli("export", "--out", str(out)).stdout.startswith("0 rows")  # nothing stored in the gradebook
    again = run_cli("grade", str(tmp_path / "subs"), "--out", str(out))
    assert again.returncode == 0 and "[1/1] ada/" in again.stdout
    assert grades(out)[("ada", A1)]["status"] == "graded"


def _manual_grade(out: Path, score: float, comment: str) -> None:
    with course.gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        grade = gb.find_grade("answer_clean_vs_noisy", "noise_mlp", A1, "ada")
        grade.manual_score = score
        grade.needs_manual_grade = False
        gb.find_comment("answer_clean_vs_noisy", "noise_mlp", A1, "ada").manual_comment = comment
        gb.db.commit()


def _exported(out: Path) -> dict:
    assert run_cli("export", "--out", str(out)).returncode == 0
    with (out / "export.csv").open() as handle:
        return next(r for r in csv.DictReader(handle) if r["student_id"] == "ada")


def test_settings_resume_and_manual_grades(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    examples.write_submission(subs, "ada", A1, blank("from helpers.budget import get_budget\n"
                                                     "print('BUDGET=' + get_budget().name)"))
    # an NNLAB_BUDGET left exported in the instructor's shell does not change how the class is graded
    first = run_cli("grade", str(subs), "--out", str(out), budget=None, env={"NNLAB_BUDGET": "smoke"})
    assert first.returncode == 0, first.stderr[-2000:]
    assert grades(out)[("ada", A1)]["budget"] == "grade"
    assert "BUDGET=grade" in autograded_notebook_text(out, "ada", A1)

    _manual_grade(out, 2.0, "clear and right")
    resumed = run_cli("grade", str(subs), "--out", str(out), budget="grade")
    assert "resuming: 1 submission(s)" in resumed.stdout and "[1/" not in resumed.stdout
    regraded = run_cli("grade", str(subs), "--out", str(out), "--no-resume", budget="grade")
    assert "[1/1] ada/" in regraded.stdout
    row = _exported(out)
    assert float(row["score"]) == 2.0 and row["needs_manual_grade"] == "False"
    assert float(grades(out)[("ada", A1)]["score"]) == 2.0  # grades.csv includes the manual score too
    total = course.max_scores(A1)[0]
    assert f"<td>ada</td><td>a1_noise_mlp</td><td>2 / {total:g}</td>" in (out / "report" / "index.html").read_text()
    with course.gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        assert gb.find_comment("answer_clean_vs_noisy", "noise_mlp", A1, "ada").manual_comment == "clear and right"
        assert gb.find_grade("answer_clean_vs_noisy", "noise_mlp", A1, "ada").needs_manual_grade is False

    # a resubmission, or other settings, are graded again without --no-resume
    examples.write_submission(subs, "ada", A1, blank("print('second attempt')"))
    assert "[1/1] ada/" in run_cli("grade", str(subs), "--out", str(out), budget="grade").stdout
    changed = run_cli("grade", str(subs), "--out", str(out), budget="smoke")
    assert "[1/1] ada/" in changed.stdout and grades(out)[("ada", A1)]["budget"] == "smoke"
    assert float(_exported(out)["score"]) == 2.0

    # one student graded again (an extension, a regrade request): only that row changes, the rest is kept
    examples.write_submission(subs, "bob", A1, blank())
    assert "[1/1] bob/" in run_cli("grade", str(subs), "--out", str(out), budget="smoke").stdout
    bob_before = grades(out)[("bob", A1)]
    again = run_cli("grade", str(subs), "--out", str(out), "--students", "ada", budget="smoke")
    assert again.returncode == 0 and "[1/1] ada/" in again.stdout and "bob/" not in again.stdout
    assert grades(out)[("bob", A1)] == bob_before and float(_exported(out)["score"]) == 2.0
    unknown = run_cli("grade", str(subs), "--out", str(out), "--students", "ada,carol", budget="smoke")
    assert unknown.returncode == 2 and "--students names carol, who has no submission" in unknown.stderr


def test_a_broken_dataset_mirror_is_the_graders_failure_not_the_students(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for name in ("mnist.npz", "cifar10.npz"):
        (mirror / name).write_bytes(b"PK\x03\x04 a truncated download")
    examples.write_submission(tmp_path / "subs", "ada", A1, examples.solved(A1))
    completed = run_cli("grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--data-dir", str(mirror))
    assert completed.returncode == 3
    status = grades(tmp_path / "out")[("ada", A1)]["status"]
    assert status.startswith("not graded: set-up cell") and "before any student code ran" in status


def test_every_second_of_a_submission_is_accounted_to_a_phase(flaky_class):
    out, _ = flaky_class
    master = result(out, "sx1", A1)
    for phase in ("course and sandbox set-up", "kernel start", "imports and data loading", "training cells",
                  "test cells", "nbgrader (conversion, gradebook)", "feedback HTML", "worker processes and retries"):
        assert master.phases[phase] > 0, phase
    assert sum(master.phases.values()) == pytest.approx(master.seconds, abs=0.05)
    assert "phases.png" in (out / "report" / "index.html").read_text()
