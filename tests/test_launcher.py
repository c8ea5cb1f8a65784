"""The warm worker launcher: forked workers are sessions of their own, stop on request, and never outlive it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.launcher import Launcher


def _waiting_job(folder: Path) -> Path:
    """A job file the worker blocks on reading (a FIFO nobody writes): a worker that runs until it is stopped."""
    job = folder / "job.json"
    os.mkfifo(job)
    return job


def _gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False


def test_a_worker_is_a_session_of_its_own_and_stops_at_its_limit(tmp_path):
    with Launcher() as launcher:
        worker = launcher.start(_waiting_job(tmp_path), {}, tmp_path / "worker.log")
        assert os.getsid(worker.pid) == worker.pid != os.getsid(launcher._process.pid)
        with pytest.raises(subprocess.TimeoutExpired):
            worker.wait(timeout=0.5)
        os.killpg(worker.pid, signal.SIGKILL)
        assert worker.wait() == -signal.SIGKILL


def test_a_failing_worker_reports_its_exit_code_and_the_next_job_gets_a_new_process(tmp_path):
    (tmp_path / "job.json").write_text("not a job")
    with Launcher() as launcher:
        first = launcher.start(tmp_path / "job.json", {}, tmp_path / "first.log")
        assert first.wait(timeout=60) == 1
        assert "Traceback" in (tmp_path / "first.log").read_text()
        second = launcher.start(tmp_path / "job.json", {}, tmp_path / "second.log")
        assert second.wait(timeout=60) == 1 and second.pid != first.pid


def test_a_worker_dies_with_its_launcher_and_the_launcher_with_the_grader(tmp_path):
    with Launcher() as launcher:
        worker = launcher.start(_waiting_job(tmp_path), {}, tmp_path / "worker.log")
        launcher_pid = launcher._process.pid
        os.kill(launcher_pid, signal.SIGKILL)
        assert worker.wait(timeout=30) is None  # the job is the grader's failure: retried, never a grade
        assert _gone(worker.pid)
        (tmp_path / "again").mkdir()
        again = launcher.start(_waiting_job(tmp_path / "again"), {}, tmp_path / "again.log")
        assert launcher._process.pid != launcher_pid
        assert not _gone(again.pid, seconds=1), (tmp_path / "again.log").read_text()[-2000:]

    grader = subprocess.run([sys.executable, "-c", (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from autograder.launcher import Launcher\n"
        f"job = Path({str(tmp_path)!r}) / 'grader-job.json'\n"
        "os.mkfifo(job)\n"
        "launcher = Launcher()\n"
        "worker = launcher.start(job, {}, job.with_suffix('.log'))\n"
        "print(launcher._process.pid, worker.pid, flush=True)\n"
        "os.kill(os.getpid(), 9)\n")], capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[1])
    assert grader.returncode == -signal.SIGKILL, grader.stderr[-2000:]
    launcher_pid, worker_pid = map(int, grader.stdout.split())
    assert _gone(launcher_pid) and _gone(worker_pid)
