"""The sandbox command itself (the end-to-end tests run notebooks inside it)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import course, sandbox


def _run_inside(tmp_path, code: str) -> subprocess.CompletedProcess:
    scratch = tmp_path / "scratch"
    sandbox.prepare_scratch(scratch)
    argv = sandbox.kernel_argv("bwrap", scratch, sandbox.Limits(processes=256), hide=(course.REPO, tmp_path))
    prefix = argv[:argv.index("--") + 1]
    if os.geteuid() == 0:
        uid = str(sandbox.sandbox_uid())
        prefix += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    return subprocess.run(prefix + [sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


@pytest.fixture(autouse=True)
def need_bwrap():
    if not sandbox.bwrap_works():
        pytest.fail("bubblewrap is required (apt-get install bubblewrap); .ci/run installs it")


def test_inside_the_sandbox_files_network_and_identity(tmp_path):
    (tmp_path / "secret.txt").write_text("other student's work")
    code = f"""
import os, socket
print("uid", os.getuid())
print("repo", os.path.exists({str(course.REPO / 'solutions')!r}))
print("other", os.path.exists({str(tmp_path / 'secret.txt')!r}))
try:
    open("/etc/owned", "w")
except OSError as e:
    print("etc", type(e).__name__)
try:
    socket.create_connection(("127.0.0.1", 22), timeout=2)
except OSError as e:
    print("net", e.errno)
open("ok.txt", "w").write("fine")
import helpers.data
print("helpers ok")
"""
    done = _run_inside(tmp_path, code)
    out = done.stdout
    assert "repo False" in out and "other False" in out and "etc " in out, done.stderr
    assert "helpers ok" in out and (tmp_path / "scratch" / "ok.txt").exists()
    assert "net" in out
    if os.geteuid() == 0:
        assert f"uid {sandbox.sandbox_uid()}" in out


def test_none_sandbox_warns():
    with pytest.warns(UserWarning, match="unsafe|trusted"):
        assert sandbox.choose("none") == "none"
