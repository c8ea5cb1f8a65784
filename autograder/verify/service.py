"""The verifier kept warm between notebooks: TensorFlow, the data sets and the probe inputs load once.

    python -m autograder.verify.service SOCKET

A :class:`VerifierService` runs this process for one grading slot (a local worker thread, a Dask
worker). It runs no student code: it writes an assignment's probe inputs into a folder and judges
one notebook's artifacts (:func:`autograder.verify.judge.judge`), one request at a time, each on
its own connection to a Unix socket in a private folder. Keras' global state is cleared after every
request, so one submission's models never meet another's. A request that does not finish in time
kills the process (:func:`request`); the slot starts a fresh one before its next job
(:meth:`VerifierService.address`), so a hostile artifact costs only its own submission a retry.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from autograder import course
from autograder.owned import alive, owned_folder
from autograder.sandboxes import resources
from autograder.errors import GraderFailed

ADDRESS_VARIABLE = "NNLAB_VERIFIER"
REQUEST_SECONDS = 900
START_SECONDS = 180
PING_SECONDS = 20
JOBS_PER_PROCESS = 200  # then a fresh process: whatever TensorFlow keeps between requests stays bounded
MAX_MESSAGE_BYTES = 1 << 20
SOCKET_NAME, LOG_NAME = "socket", "log.txt"  # in the verifier's private folder, side by side


class VerifierUnavailable(GraderFailed):
    """The verifier process did not answer: the grader's failure, never the student's."""


@dataclass(frozen=True)
class Address:
    """How a worker process reaches one running verifier."""

    socket: str
    pid: int

    def to_env(self) -> dict[str, str]:
        return {ADDRESS_VARIABLE: f"{self.pid}:{self.socket}"}

    @classmethod
    def from_env(cls) -> "Address | None":
        pid, _, path = os.environ.get(ADDRESS_VARIABLE, "").partition(":")
        return cls(path, int(pid)) if pid.isdigit() and path else None


def request(address: Address, payload: dict[str, Any], timeout: float = REQUEST_SECONDS) -> dict[str, Any]:
    """Send one request and return the answer; a verifier that does not answer in time is killed.

    A verifier still starting (it starts beside the job's first kernel) is waited for.
    """
    _await_listening(address)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(timeout)
            connection.connect(address.socket)
            connection.sendall(json.dumps(payload).encode() + b"\n")
            answer = _read_line(connection)
    except socket.timeout:
        _kill(address.pid)
        raise VerifierUnavailable(f"the verifier did not answer within {timeout:g} s (it was stopped)") from None
    except (OSError, ValueError) as error:
        raise VerifierUnavailable(f"the verifier could not be reached ({type(error).__name__}: {error})") from None
    if "error" in answer:
        raise VerifierUnavailable(f"the verifier failed: {str(answer['error'])[:300]}")
    return answer


def _await_listening(address: Address) -> None:
    """Return once the verifier at ``address`` accepts connections; raise if it ended or took too long to start."""
    socket_path = Path(address.socket)
    deadline = time.monotonic() + START_SECONDS
    while not socket_path.exists():
        if not alive(address.pid) or time.monotonic() > deadline:
            log = socket_path.with_name(LOG_NAME)
            lines = log.read_text(errors="replace").strip().splitlines()[-1:] if log.is_file() else []
            raise VerifierUnavailable(f"the verifier did not start ({(lines or ['no output'])[0][:200]})")
        time.sleep(0.05)


def _read_line(connection: socket.socket) -> dict[str, Any]:
    data = b""
    while not data.endswith(b"\n"):
        chunk = connection.recv(65536)
        if not chunk:
            raise ValueError("the connection closed before a whole answer came")
        data += chunk
        if len(data) > MAX_MESSAGE_BYTES:
            raise ValueError("the message is too long")
    return json.loads(data)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@dataclass(frozen=True)
class _Config:
    data_dir: str
    memory_bytes: int


class VerifierService:
    """One verifier process for one grading slot, restarted when it died, hangs, or served its share."""

    def __init__(self) -> None:
        self._process: subprocess.Popen | None = None
        self._config: _Config | None = None
        self._folder: Path | None = None
        self._group: resources.Group | None = None
        self._served = 0

    def address(self, data_dir: str, memory_bytes: int) -> Address:
        """The address of a verifier for data from ``data_dir``; starts one if needed, without waiting for it
        (:func:`request` does: it loads TensorFlow while the job's kernel runs)."""
        config = _Config(data_dir, memory_bytes)
        if self._process is not None and (config != self._config or self._served >= JOBS_PER_PROCESS
                                          or not self._answers()):
            self.close()
        if self._process is None:
            self._start(config)
        self._served += 1
        return self._current()

    def _current(self) -> Address:
        assert self._process is not None and self._folder is not None
        return Address(str(self._folder / SOCKET_NAME), self._process.pid)

    def _answers(self) -> bool:
        if self._process is None or self._process.poll() is not None:
            return False
        try:
            request(self._current(), {"op": "ping"}, timeout=PING_SECONDS)
            return True
        except VerifierUnavailable:
            return False

    def _start(self, config: _Config) -> None:
        self._folder = owned_folder("verifier")
        self._group = resources.create(f"verifier-{os.getpid()}-{time.monotonic_ns()}", config.memory_bytes)
        env = {"NNLAB_DATA_DIR": config.data_dir, "TF_CPP_MIN_LOG_LEVEL": "3", "HOME": str(self._folder),
               "KERAS_HOME": str(self._folder / "keras"), "MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin",
               "LANG": "C.UTF-8", "PYTHONPATH": str(course.REPO), "NNLAB_GRADER_PID": str(os.getpid()),
               **resources.to_env(self._group)}
        with open(self._folder / LOG_NAME, "wb") as log:
            self._process = subprocess.Popen([sys.executable, "-m", "autograder.verify.service",
                                              str(self._folder / SOCKET_NAME)], env=env, cwd=course.REPO,
                                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self._config, self._served = config, 0

    def kill(self) -> None:
        """Kill the process from any thread (a request or a start waiting on it fails at once); :meth:`close`
        removes the rest."""
        process = self._process
        if process is not None and process.returncode is None:
            _kill(process.pid)

    def close(self) -> None:
        """Stop the process and remove its folder (safe to call twice)."""
        if self._process is not None:
            _kill(self._process.pid)
            self._process.wait()
        if self._group is not None:
            self._group.remove()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        self._process = self._group = self._folder = None

    def __enter__(self) -> "VerifierService":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---- the process itself ---------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _inputs_folder(assignment: str) -> Path:
    """The assignment's probe inputs, written once per process into its private folder."""
    from autograder.verify.probe import write_inputs
    from autograder.verify.judge import checks_for

    folder = Path(tempfile.mkdtemp(prefix=f"inputs-{assignment}-", dir=os.environ["HOME"]))
    write_inputs(checks_for(assignment).inputs(), folder)
    return folder


def _answer(message: dict[str, Any]) -> dict[str, Any]:
    from autograder.verify.judge import judge

    op = message.get("op")
    if op == "ping":
        return {"pong": True}
    if op == "inputs":
        target = Path(message["folder"])
        for path in _inputs_folder(message["assignment"]).iterdir():
            shutil.copy(path, target / path.name)
        return {"written": True}
    if op == "judge":
        verdicts = judge(message["assignment"], Path(message["artifacts"]), Path(message["probe"]), message["budget"])
        return {"verdicts": [asdict(v) for v in verdicts]}
    return {"error": f"unknown request {op!r}"}


def serve(path: str) -> None:
    """Answer requests on a Unix socket at ``path`` until killed."""
    import gc

    from autograder.verify.harness import import_keras
    from helpers import session

    keras = import_keras()

    session.start()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    partial = f"{path}.binding"
    server.bind(partial)
    os.chmod(partial, 0o600)
    server.listen(4)
    os.rename(partial, path)  # the socket appears only once it accepts connections
    while True:
        connection, _ = server.accept()
        with connection:
            try:
                connection.settimeout(PING_SECONDS)
                message = _read_line(connection)
                connection.settimeout(None)
                answer = _answer(message)
            except Exception as error:  # noqa: BLE001 - one failed request is reported, never the end of the service
                message, answer = {}, {"error": f"{type(error).__name__}: {error}"}
            try:
                connection.sendall(json.dumps(answer).encode() + b"\n")
            except OSError:
                pass  # the worker gave up waiting
        if message.get("op") != "ping":  # after answering: the worker goes on meanwhile
            keras.utils.clear_session(free_memory=True)
            gc.collect()


def main(argv: list[str] | None = None) -> int:
    from autograder.lifetime import die_with_grader

    die_with_grader()
    resources.join_from_env()
    serve((argv or sys.argv[1:])[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
