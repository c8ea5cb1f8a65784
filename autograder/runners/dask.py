"""Dask runner: one task per submission on a cluster, the same sandboxed grading as a local run.

Tasks carry everything they need (the job with its settings, the submitted files, the template
gradebook) and return everything the grader writes (the result, feedback pages), so workers need
the kit and the dataset mirror (at the path in the settings) but no shared file system and none of
the head's environment. A worker that dies mid-task has its task rescheduled by the scheduler
(twice); a task that still fails comes back ``not graded``. Task keys are the submission's content
key, so each submission is recorded exactly once.
"""

from __future__ import annotations

import atexit
import dataclasses
import shutil
import threading
from pathlib import Path
from typing import Iterable, Iterator

from autograder.job import Job
from autograder.jobs import Slot, run_job
from autograder.lifetime import clean_stale
from autograder.owned import owned_folder
from autograder.results import Problem, Result
from autograder.store import ResultStore

TASK_RETRIES = 2


_SLOTS = threading.local()


def _thread_slot() -> Slot:
    """One warm slot (verifier and worker launcher) per Dask worker thread, stopped when the worker process exits."""
    if not hasattr(_SLOTS, "slot"):
        _SLOTS.slot = Slot()
        atexit.register(_SLOTS.slot.close)
    return _SLOTS.slot


def grade_remote(payload: dict) -> dict:
    """Run on a Dask worker: rebuild the job in a private temporary folder, grade it, return the outputs."""
    clean_stale()  # what a worker killed mid-task left on this machine: its mounts, control groups, folders
    root = owned_folder("task")
    try:
        job = Job.from_json(payload["job"])
        folder = root / "submissions" / job.student / job.assignment
        folder.mkdir(parents=True)
        for name, content in payload["files"].items():
            (folder / name).write_bytes(content)
        (root / "template.db").write_bytes(payload["template"])
        job_folder = ResultStore(root / "out").job_folder(job.student, job.assignment)
        job = dataclasses.replace(job, folder=str(folder), work=str(job_folder.path), template_db=str(root / "template.db"),
                                  hide=(str(root / "submissions"), str(root / "out")))
        result = run_job(job, _thread_slot())
        feedback = {str(p.relative_to(job_folder.path)): p.read_text() for p in job_folder.feedback_pages()}
        return {"result": result.to_dict(), "feedback": feedback}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _payload(job: Job) -> dict:
    folder = Path(job.folder)
    return {"job": job.to_json(), "template": Path(job.template_db).read_bytes(),
            "files": {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and not p.is_symlink()}}


class DaskRunner:
    """Jobs as tasks on the Dask scheduler at ``address`` (``tcp://HOST:PORT``)."""

    def __init__(self, address: str):
        self.address = address

    def run(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, Result]]:
        from distributed import Client, as_completed

        client = Client(self.address, timeout=60)
        try:
            futures = {client.submit(grade_remote, _payload(job), key=f"grade-{job.student}__{job.assignment}-"
                                     f"{job.key}", retries=TASK_RETRIES, pure=False): job for job in jobs}
            for future in as_completed(futures):
                job = futures[future]
                try:
                    output = future.result()
                except Exception as error:  # noqa: BLE001 - a lost task is the cluster's failure, not a grade
                    yield job, job.empty_result(Problem.infrastructure(
                        f"the Dask task failed after {TASK_RETRIES} retries ({type(error).__name__}: {error})"))
                    continue
                for relative, text in output["feedback"].items():
                    target = Path(job.work) / relative
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(text)
                yield job, Result.from_dict(output["result"])
        finally:
            client.close()


class LoopbackCluster:
    """A Dask scheduler and worker processes on 127.0.0.1 (for tests, benchmarks and trying it out).

        with LoopbackCluster(workers=2) as cluster:
            grade_class(..., runner=DaskRunner(cluster.address))
    """

    def __init__(self, workers: int = 2, env: dict | None = None, cwd: Path | None = None):
        self.n_workers = workers
        self.env = env
        self.cwd = cwd
        self.address = ""
        self.scheduler = None
        self.workers: list = []

    def __enter__(self) -> "LoopbackCluster":
        import socket
        import subprocess
        import sys

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.address = f"tcp://127.0.0.1:{port}"
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": self.env, "cwd": self.cwd}
        self.scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                                           "127.0.0.1", "--port", str(port), "--no-dashboard"], **quiet)
        self.workers = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", self.address,
                                          "--nthreads", "1", "--no-nanny", "--no-dashboard", "--name", f"w{i}"],
                                         **quiet) for i in range(self.n_workers)]
        from distributed import Client

        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(self.n_workers, timeout=120)
        return self

    def __exit__(self, *exc) -> None:
        for process in [*self.workers, self.scheduler]:
            process.kill()
            process.wait()
