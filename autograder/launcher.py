"""Worker processes forked from a warm parent: a job's process starts with the worker's imports already loaded.

    python -m autograder.launcher   (one JSON request per line on stdin, answers on stdout)

Importing nbgrader, nbconvert and SQLAlchemy takes a fresh Python process about 1.2 s of CPU, more than
the rest of the worker's own work on a notebook. A :class:`Launcher` keeps one process per grading
slot that has imported them once and forks a new worker process for every job. The launcher runs no
student code and holds no data: each forked worker is a process of its own (its own session and process
group, its own log, the job's environment and resource group, :func:`autograder.worker.run`), and it dies
with the launcher, which dies with the grader. One job at a time: the launcher answers with the worker's
pid, then with its exit code.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from autograder.errors import GraderFailed

START_SECONDS = 120


class LauncherFailed(GraderFailed):
    """The launcher process is gone or did not answer: the grader's failure, never the student's."""


class LaunchedWorker:
    """A worker process started by the launcher; ``wait`` and ``returncode`` as for :class:`subprocess.Popen`."""

    def __init__(self, launcher: "Launcher", pid: int):
        self._launcher = launcher
        self.pid = pid
        self.returncode: int | None = None
        self._launcher_gone = False

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit code (negative: killed by that signal); None when the launcher died before telling it."""
        if self.returncode is None and not self._launcher_gone:
            answer = self._launcher._answer(timeout)
            if answer is None:
                self._launcher_gone = True
                self._launcher.close()
                return None
            self.returncode = answer.get("exit")
        return self.returncode


class Launcher:
    """One warm launcher process for one grading slot, started when first needed and again after it died."""

    def __init__(self) -> None:
        self._process: subprocess.Popen | None = None
        self._buffer = b""

    def start(self, job_file: Path, env: dict[str, str], log: Path) -> LaunchedWorker:
        """Fork a worker for ``job_file`` with ``env`` added to its environment, its output going to ``log``."""
        if self._process is None or self._process.poll() is not None:
            self._start()
        assert self._process is not None and self._process.stdin is not None
        request = {"job": str(job_file), "env": env, "log": str(log)}
        try:
            self._process.stdin.write(json.dumps(request).encode() + b"\n")
            self._process.stdin.flush()
        except OSError as error:
            self.close()
            raise LauncherFailed(f"the worker launcher could not be reached ({type(error).__name__})") from None
        answer = self._answer(START_SECONDS)
        if not answer or "pid" not in answer:
            self.close()
            raise LauncherFailed(f"the worker launcher did not start the worker ({answer or 'no answer'})")
        return LaunchedWorker(self, int(answer["pid"]))

    def _start(self) -> None:
        self.close()
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "NNLAB_GRADER_PID": str(os.getpid())}
        self._process = subprocess.Popen([sys.executable, "-m", "autograder.launcher"], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, start_new_session=True, env=env)
        self._buffer = b""

    def _answer(self, timeout: float | None) -> dict | None:
        """The launcher's next answer line; raises TimeoutExpired after ``timeout``; None when it died."""
        assert self._process is not None and self._process.stdout is not None
        deadline = None if timeout is None else time.monotonic() + timeout
        descriptor = self._process.stdout.fileno()
        while b"\n" not in self._buffer:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([descriptor], [], [], left)[0]:
                raise subprocess.TimeoutExpired("autograder.launcher", timeout or 0)
            chunk = os.read(descriptor, 65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            return json.loads(line)
        except ValueError:
            return None

    def kill(self) -> None:
        """Kill the launcher's process group (its worker dies with it) from any thread; the thread that waits for
        the worker then sees the launcher gone. Only signals: the process and its pipes stay for :meth:`close`."""
        process = self._process
        if process is not None and process.returncode is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def close(self) -> None:
        """Stop the launcher (its workers die with it); safe to call twice."""
        if self._process is not None:
            try:
                os.killpg(self._process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._process.wait()
            for pipe in (self._process.stdin, self._process.stdout):
                if pipe is not None:
                    pipe.close()
        self._process = None

    def __enter__(self) -> "Launcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---- the process itself ---------------------------------------------------------------------------

def _run_worker(request: dict, parent: int, started: int) -> int:
    """In the forked child: a session of its own, output to the job's log, the job's environment; grade."""
    os.setsid()
    os.write(started, b"1")  # only now is the process group the worker's own: the launcher may tell its pid
    os.close(started)
    with open(request["log"], "ab") as log, open(os.devnull, "rb") as nothing:
        os.dup2(nothing.fileno(), 0)
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
    from autograder.lifetime import die_with_parent

    die_with_parent(parent)
    os.environ.update(request["env"])
    from autograder import worker

    return worker.run(Path(request["job"]))


def serve() -> None:
    """Answer requests on stdin until it closes: fork a worker, tell its pid, wait for it, tell its exit code."""
    import autograder.worker  # noqa: F401 - what every forked worker needs, loaded once
    import nbgrader.apps  # noqa: F401
    from autograder import nbgrader_warmup

    nbgrader_warmup.warm_up()

    requests, answers = sys.stdin.buffer, sys.stdout.fileno()
    for line in requests:
        request = json.loads(line)
        parent = os.getpid()
        ready, started = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(ready)
            code = 1
            try:
                code = _run_worker(request, parent, started)
            except SystemExit as stop:  # as ``python -m`` would end
                code = stop.code if isinstance(stop.code, int) else 1
                if not isinstance(stop.code, int) and stop.code is not None:
                    print(stop.code, file=sys.stderr)
            except BaseException:  # noqa: BLE001 - in the worker's log; the supervisor sees exit code 1
                import traceback

                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        os.close(started)
        os.read(ready, 1)  # the worker is in its own session (or already gone)
        os.close(ready)
        os.write(answers, json.dumps({"pid": pid}).encode() + b"\n")
        _, status = os.waitpid(pid, 0)
        os.write(answers, json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode() + b"\n")


def main() -> int:
    from autograder.lifetime import die_with_grader

    die_with_grader()
    serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
