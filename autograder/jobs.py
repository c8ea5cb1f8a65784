"""Running one grading job (:class:`autograder.job.Job`) in its own process, with retries of the grader's failures.

Both runners (local processes, Dask) call :func:`run_job` with a :class:`Slot`; the job carries its
settings, so a worker never depends on its own environment.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.job import Job
from autograder.launcher import LaunchedWorker, Launcher, LauncherFailed
from autograder.results import Problem, Result
from autograder.sandboxes import resources
from autograder.verify.service import VerifierService

ATTEMPTS = 3  # one try and two retries of infrastructure failures
RETRY_PAUSE_S = 2.0
STOPPED = "grading was stopped"  # the attempt's status in attempts.log when a signal stopped it


@dataclass
class Slot:
    """What one grading slot keeps warm for its jobs, one job at a time: a verifier and a worker launcher."""

    verifier: VerifierService = field(default_factory=VerifierService)
    launcher: Launcher = field(default_factory=Launcher)
    stopping: bool = False  # set by :meth:`interrupt`: the job running now ends, and no other starts

    def interrupt(self) -> None:
        """Stop the job running in this slot now (from another thread): its worker, kernels and verifier end,
        and :func:`run_job` returns without retrying; its thread then removes the job's groups and mounts."""
        self.stopping = True
        self.launcher.kill()
        self.verifier.kill()

    def close(self) -> None:
        self.launcher.close()
        self.verifier.close()

    def __enter__(self) -> "Slot":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def run_job(job: Job, slot: Slot, *, attempts: int = ATTEMPTS) -> Result:
    """Grade ``job`` in a fresh process; retry while the grader fails, logging each cause to ``attempts.log``."""
    work = Path(job.work)
    work.mkdir(parents=True, exist_ok=True)
    (work / "job.json").write_text(job.to_json())
    started = time.monotonic()
    with (work / "attempts.log").open("a") as log:
        for attempt in range(1, attempts + 1):
            result = _one_attempt(job, slot)
            result.attempts = attempt
            log.write(f"attempt {attempt}: {result.status}\n")
            if result.graded or slot.stopping:
                break
            if attempt < attempts:
                time.sleep(RETRY_PAUSE_S * attempt)
    result.seconds = round(time.monotonic() - started, 2)
    result.phases["worker processes and retries"] = round(max(0.0, result.seconds - sum(result.phases.values())), 3)
    return result


def _one_attempt(job: Job, slot: Slot) -> Result:
    work = Path(job.work)
    result_file, progress = work / "attempt.json", job.progress_file
    result_file.unlink(missing_ok=True)
    progress.unlink(missing_ok=True)
    if slot.stopping:
        return job.empty_result(Problem.infrastructure(STOPPED))
    address = slot.verifier.address(job.settings.data_dir, job.settings.limits.memory_bytes)
    group = resources.create(f"{os.getpid()}-{time.monotonic_ns()}", job.settings.limits.memory_bytes)
    (work / "worker.log").write_bytes(b"")
    try:
        if slot.stopping:
            raise LauncherFailed(STOPPED)
        process = slot.launcher.start(work / "job.json", {**resources.to_env(group), **address.to_env()},
                                      work / "worker.log")
        if slot.stopping:  # interrupted while the worker started: it may have missed the launcher's kill
            slot.launcher.kill()
    except LauncherFailed as error:
        _remove(group, work)
        return job.empty_result(Problem.infrastructure(str(error)))
    try:
        process.wait(timeout=job.wall_seconds)
    except subprocess.TimeoutExpired:
        return job.empty_result(_killed_at_wall_limit(job))
    finally:
        _end_process_group(process)
        _remove(group, work)
    if slot.stopping:
        return job.empty_result(Problem.infrastructure(STOPPED))
    if process.returncode == 0 and result_file.exists():
        return Result.from_dict(json.loads(result_file.read_text()))
    if process.returncode is None:
        return job.empty_result(Problem.infrastructure("the worker launcher ended while the job ran"))
    tail = (work / "worker.log").read_text(errors="replace")[-300:].strip().splitlines()
    return job.empty_result(Problem.infrastructure(
        f"the grader process failed (exit code {process.returncode}): {tail[-1] if tail else 'no output'}"))


def _killed_at_wall_limit(job: Job) -> Problem:
    """A job stopped at its wall-clock limit: the notebook's time limit if student code was running."""
    try:
        where = json.loads(job.progress_file.read_text())
    except (OSError, ValueError):
        where = {}
    if where.get("student_code_ran"):
        return Problem.limit(f"notebook time limit: {where['notebook']} was still running cell {where['cell']} after "
                             f"{job.wall_seconds} s")
    return Problem.infrastructure(f"grading stalled before any student code ran (stopped after {job.wall_seconds} s)")


def _remove(group: resources.Group | None, work: Path) -> None:
    """End every process left in the job's group and release its disk quotas."""
    if group is not None:
        group.remove()
    resources.unmount_under(work)  # what a worker killed before its own clean-up left mounted


def _end_process_group(process: LaunchedWorker) -> None:
    """Kill what is left of the worker's process group (its kernels end with it: bwrap --die-with-parent)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
