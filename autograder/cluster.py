"""Grading on a Dask cluster: one task per submission, same sandboxed grading as a local run.

Tasks carry everything they need (the submitted files and the template gradebook) and return
everything the grader writes (result record with grades, feedback pages), so workers need the
kit installed but no shared file system. A worker that dies mid-task has its task rescheduled
on another worker by the Dask scheduler; results are keyed by submission, so each student is
recorded exactly once.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from autograder.submissions import Submission


def grade_remote(payload: dict) -> dict:
    """Run on a Dask worker: rebuild the job in a private temporary folder, grade it, return the outputs."""
    from autograder.pipeline import run_job

    root = Path(tempfile.mkdtemp(prefix="nnlab-task-"))
    try:
        job = dict(payload["job"])
        folder = root / "submissions" / job["student"] / job["assignment"]
        folder.mkdir(parents=True)
        for name, content in payload["files"].items():
            (folder / name).write_bytes(content)
        (root / "template.db").write_bytes(payload["template"])
        work = root / "out" / "work" / "jobs" / f"{job['student']}__{job['assignment']}"
        work.mkdir(parents=True)
        job.update(folder=str(folder), work=str(work), out=str(root / "out"), template_db=str(root / "template.db"))
        (work / "job.json").write_text(json.dumps(job))
        result = run_job(work / "job.json", payload["wall_seconds"])
        feedback = {str(p.relative_to(work)): p.read_text() for p in work.glob("course/feedback/*/*/*.html")}
        return {"result": result, "feedback": feedback}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _payload(job_file: Path, wall_seconds: int) -> dict:
    job = json.loads(job_file.read_text())
    folder = Path(job["folder"])
    return {"job": job, "wall_seconds": wall_seconds, "template": Path(job["template_db"]).read_bytes(),
            "files": {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}}


def run_on_cluster(jobs: dict[Submission, Path], wall: dict[Submission, int], scheduler: str,
                   ) -> Iterator[tuple[Submission, dict]]:
    """Yield (submission, result) as the cluster finishes tasks; feedback pages land in the local job folder."""
    from distributed import Client, as_completed

    client = Client(scheduler, timeout=60)
    try:
        futures = {}
        for sub, job_file in jobs.items():
            payload = _payload(job_file, wall[sub])
            digest = hashlib.sha256(json.dumps({k: v.hex() for k, v in payload["files"].items()}).encode()).hexdigest()
            future = client.submit(grade_remote, payload, key=f"grade-{sub.key}-{digest[:12]}", retries=2, pure=False)
            futures[future] = sub
        for future in as_completed(futures):
            sub = futures[future]
            output = future.result()
            for relative, text in output["feedback"].items():
                target = jobs[sub].parent / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
            yield sub, output["result"]
    finally:
        client.close()


class LoopbackCluster:
    """A Dask scheduler and worker processes on 127.0.0.1 (for tests, benchmarks and trying it out).

        with LoopbackCluster(workers=2) as cluster:
            grade_class(..., scheduler=cluster.address)
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
