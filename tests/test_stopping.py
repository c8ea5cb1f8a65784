"""Stopping `grade`: Ctrl-C, SIGTERM and a lost terminal end the whole run and leave nothing behind; after SIGKILL,
`clean` (or the next `grade`) removes what the run left; a resumed run finishes with the right grades."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder import course, examples
from autograder.jobs import STOPPED
from autograder.sandboxes.resources import mounts_under
from autograder.sandboxes import resources
from tests.grading import REPO, grades, run_cli

pytestmark = pytest.mark.slow
A1 = "a1_noise_mlp"


@dataclass(frozen=True)
class Stopped:
    """What one stopped run left: its exit code and stderr, and whatever of it still runs, is mounted or grouped."""

    pid: int
    returncode: int
    stderr: str
    processes: list[int]
    mounts: list[Path]
    groups: list[str]
    finished_anyway: list[str]  # jobs running at the signal that were not stopped


def descendants(pid: int) -> set[int]:
    children: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children |= {int(c) for c in (task / "children").read_text().split()}
        except OSError:
            pass
    return children.union(*(descendants(c) for c in children)) if children else children


def alive(pids: set[int]) -> list[int]:
    living = []
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X"):
                living.append(pid)
        except (OSError, IndexError):
            pass
    return sorted(living)


def groups_of(pid: int) -> list[str]:
    return [g.folders[0].name for g in resources.all_groups() if f"-{pid}-" in g.folders[0].name]


def wait_for(condition, what: str, seconds: float = 600):
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"waited {seconds:g} s for {what}")
        time.sleep(0.1)
    return value


def stop_while_grading(subs: Path, out: Path, how: signal.Signals, *, group: bool = False) -> tuple[Stopped, set[int]]:
    """Start `grade`, send ``how`` once a job has mounted its scratch disk (to the process group when ``group``, as
    a terminal's Ctrl-C does), and see what is left once the grader has exited."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    grader = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out),
                               "--workers", "2", "--budget", "smoke"], cwd=REPO, env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: mounts_under(out) or grader.poll() is not None, "a job to start")
    assert grader.poll() is None, grader.stderr.read()[-2000:]
    started = descendants(grader.pid)
    running = {point.parent for point in mounts_under(out)}
    if group:
        os.killpg(grader.pid, how)
    else:
        grader.send_signal(how)
    _, stderr = grader.communicate(timeout=600)
    if how == signal.SIGKILL:  # what the grader stops, it has stopped by the time it exits; SIGKILL stops nothing
        wait_for(lambda: not alive(started), "the killed grader's processes to die with it", 60)
    finished_anyway = sorted(job.name for job in running if how != signal.SIGKILL and
                             (job / "attempts.log").read_text().splitlines()[-1:] != [f"attempt 1: not graded: {STOPPED}"])
    return Stopped(grader.pid, grader.returncode, stderr, alive(started), mounts_under(out), groups_of(grader.pid),
                   finished_anyway), started


@pytest.fixture(scope="module")
def stopped(tmp_path_factory):
    """One class stopped four times in a row (each signal), cleaned after SIGKILL, then graded to the end."""
    root = tmp_path_factory.mktemp("stopping")
    subs, out = root / "submissions", root / "out"
    examples.write_submission(subs, "master", A1, examples.solved(A1))
    examples.write_submission(subs, "blank", A1, examples.notebook_path(A1, solution=False).read_text())
    runs = {}
    for how, group in ((signal.SIGINT, True), (signal.SIGTERM, False), (signal.SIGHUP, False)):
        runs[how], _ = stop_while_grading(subs, out, how, group=group)
    runs[signal.SIGKILL], started = stop_while_grading(subs, out, signal.SIGKILL)
    cleaned = run_cli("clean", str(out))
    killed = runs[signal.SIGKILL].pid
    after_clean = Stopped(killed, cleaned.returncode, cleaned.stdout, alive(started), mounts_under(out),
                          groups_of(killed), [])
    finished = run_cli("grade", str(subs), "--out", str(out), "--workers", "2")
    return runs, cleaned, after_clean, finished, out


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_stops_grading_and_leaves_nothing_behind(stopped, how):
    runs = stopped[0]
    run = runs[how]
    assert run.returncode == 128 + how, run.stderr[-2000:]
    assert f"grading stopped by {how.name}" in run.stderr
    assert run.finished_anyway == [], "the jobs running at the signal were not stopped (attempts.log)"
    assert run.processes == [] and run.mounts == [] and run.groups == [], run


def test_after_sigkill_clean_removes_what_the_run_left(stopped):
    runs, cleaned, after_clean, _, out = stopped
    killed = runs[signal.SIGKILL]
    assert killed.returncode == -signal.SIGKILL and killed.processes == []
    assert killed.mounts, "the killed run left no mount: nothing showed that `clean` removes one"
    assert cleaned.returncode == 0, cleaned.stderr
    assert all(f"unmounted {point}" in cleaned.stdout for point in killed.mounts), cleaned.stdout
    assert all(f"removed control group {name}" in cleaned.stdout for name in killed.groups), cleaned.stdout
    assert after_clean.mounts == [] and after_clean.groups == [] and after_clean.processes == []
    again = run_cli("clean", str(out)).stdout  # (it may still find what other graders on this machine left)
    assert "unmounted" not in again and f"-{killed.pid}-" not in again, again


def test_the_resumed_run_grades_the_class_as_an_uninterrupted_one(stopped):
    _, _, _, finished, out = stopped
    assert finished.returncode == 0, finished.stderr[-3000:]
    rows = grades(out)
    assert rows[("master", A1)]["status"] == "graded" and float(rows[("master", A1)]["auto_score"]) == course.max_scores(A1)[1]
    assert rows[("blank", A1)]["status"] == "graded" and float(rows[("blank", A1)]["auto_score"]) == 0
    assert mounts_under(out) == []
