"""The sandbox backends themselves (the end-to-end tests run notebooks inside them)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import course, sandboxes
from autograder.sandboxes.base import sandbox_uid
from autograder.sandboxes.bwrap import BwrapSandbox
from autograder.settings import Limits, make_settings


@pytest.fixture()
def settings(mirror):
    return make_settings(budget="smoke", data_dir=mirror, limits=Limits(processes=256))


def _run_inside(tmp_path, settings, code: str) -> subprocess.CompletedProcess:
    scratch, ipc = tmp_path / "scratch", tmp_path / "ipc"
    sandboxes.prepare_scratch(scratch)
    sandboxes.prepare_scratch(ipc, subfolders=())
    prefix = BwrapSandbox().bwrap_prefix(scratch, ipc, settings, hide=(course.REPO, tmp_path))
    if os.geteuid() == 0:
        uid = str(sandbox_uid())
        prefix += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    return subprocess.run(prefix + [sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


@pytest.fixture(autouse=True)
def need_bwrap(settings):
    try:
        BwrapSandbox().probe(settings)
    except sandboxes.SandboxUnavailable as error:
        pytest.fail(f"bubblewrap is required (apt-get install bubblewrap; .ci/run installs it): {error}")


def test_inside_the_sandbox_files_network_identity_and_environment(tmp_path, settings, monkeypatch):
    monkeypatch.setenv("NNLAB_BUDGET", "full")  # the grader's shell must not reach the kernel
    (tmp_path / "secret.txt").write_text("other student's work")
    code = f"""
import os, socket
print("uid", os.getuid())
print("repo", os.path.exists({str(course.REPO / 'solutions')!r}))
print("other", os.path.exists({str(tmp_path / 'secret.txt')!r}))
print("budget", os.environ["NNLAB_BUDGET"])
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
    done = _run_inside(tmp_path, settings, code)
    out = done.stdout
    assert "repo False" in out and "other False" in out and "etc " in out, done.stderr
    assert "helpers ok" in out and (tmp_path / "scratch" / "ok.txt").exists()
    assert "net" in out and "budget smoke" in out
    if os.geteuid() == 0:
        assert f"uid {sandbox_uid()}" in out


def test_select_proves_the_backend_with_a_kernel(settings):
    assert sandboxes.select("auto", settings).name == "bwrap"


def test_none_sandbox_warns_and_is_never_chosen_by_auto(settings):
    with pytest.warns(UserWarning, match="unsafe|trusted"):
        assert sandboxes.select("none", settings).name == "none"


def test_unknown_backend_is_refused(settings):
    with pytest.raises(sandboxes.SandboxUnavailable, match="unknown sandbox"):
        sandboxes.backend("docker")


def test_the_kernel_sees_an_allowlist_not_the_whole_filesystem(tmp_path, settings):
    code = """
import os
for path in ("/var", "/opt", "/srv", "/home", "/mnt", "/etc/shadow", "/etc/hostname", "/etc/ssh"):
    print("visible" if os.path.exists(path) else "absent", path)
try:  # the reference answers (graded steps) are the instructor's: a kernel cannot import them
    import reference.models
    print("visible reference")
except ImportError:
    print("absent reference")
print("top", sorted(os.listdir("/")))
"""
    done = _run_inside(tmp_path, settings, code)
    assert "visible" not in done.stdout and "absent /var" in done.stdout, done.stdout + done.stderr
    assert "absent reference" in done.stdout
    top = eval(done.stdout.split("top ", 1)[1])  # noqa: S307 - a list printed by our own code
    assert set(top) <= {"bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc", "dev", "proc", "tmp",
                        *(p.parts[1] for p in (course.REPO, tmp_path, Path(settings.data_dir), Path(sys.prefix),
                                               Path(sys.base_prefix).resolve()))}
