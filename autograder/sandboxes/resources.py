"""Limits on all processes of one submission together: memory, and an equal CPU share (Linux control groups).

Per-process limits (``prlimit``) cannot stop two processes that together use too much memory, nor a
submission with many busy threads from starving its neighbours. A control group per job can: its
memory limit counts every process of the submission, and every job gets the same CPU weight however
many threads it runs. cgroup v2 and v1 are supported where this process may create groups (as root,
or with a delegated subtree); elsewhere grading goes on with per-process limits and says so.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

CGROUP_ROOT = Path("/sys/fs/cgroup")
PREFIX = "nnlab-job-"


def _own_paths() -> dict[str, str]:
    """This process's cgroup per controller (``""`` is the v2 unified hierarchy)."""
    paths = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            paths[controller] = path.lstrip("/")
    return paths


@dataclass(frozen=True)
class Group:
    """One job's control group: a folder per hierarchy (v2: one; v1: memory and cpu)."""

    folders: tuple[Path, ...]

    def add(self, pid: int) -> None:
        for folder in self.folders:
            (folder / "cgroup.procs").write_text(str(pid))

    def pids(self) -> set[int]:
        found = set()
        for folder in self.folders:
            try:
                found |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
            except OSError:
                pass
        return found

    def remove(self) -> None:
        """Kill whatever is left in the group and delete it."""
        for _ in range(50):
            pids = self.pids()
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                for folder in self.folders:
                    if folder.exists():
                        folder.rmdir()
                return
            except OSError:
                time.sleep(0.1)


def _v2_parent() -> Path | None:
    """A v2 folder whose children can have memory and cpu limits: ``nnlab`` under the root, made by us."""
    controllers = CGROUP_ROOT / "cgroup.controllers"
    if not controllers.is_file() or not {"memory", "cpu"} <= set(controllers.read_text().split()):
        return None
    parent = CGROUP_ROOT / "nnlab"
    try:
        parent.mkdir(exist_ok=True)
        (parent / "cgroup.subtree_control").write_text("+memory +cpu")
    except OSError:
        return None
    return parent


def _v1_parents() -> dict[str, Path] | None:
    own = _own_paths()
    parents = {c: CGROUP_ROOT / c / own.get(c, "") for c in ("memory", "cpu")}
    if all(p.is_dir() and os.access(p, os.W_OK) for p in parents.values()):
        return parents
    return None


def create(name: str, memory_bytes: int) -> Group | None:
    """A fresh group for one job with ``memory_bytes`` for all its processes; ``None`` where none can be made."""
    try:
        parent = _v2_parent()
        if parent is not None:
            folder = parent / f"{PREFIX}{name}"
            folder.mkdir(exist_ok=True)
            (folder / "memory.max").write_text(str(memory_bytes))
            (folder / "memory.swap.max").write_text("0")
            (folder / "cpu.weight").write_text("100")
            return Group((folder,))
        parents = _v1_parents()
        if parents is None:
            return None
        memory, cpu = (parents[c] / f"{PREFIX}{name}" for c in ("memory", "cpu"))
        memory.mkdir(exist_ok=True)
        cpu.mkdir(exist_ok=True)
        (memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
        if (memory / "memory.memsw.limit_in_bytes").exists():
            (memory / "memory.memsw.limit_in_bytes").write_text(str(memory_bytes))
        (cpu / "cpu.shares").write_text("1024")
        return Group((memory, cpu))
    except OSError:
        return None


def all_groups() -> list[Group]:
    """Every job group on this machine (any grader's), as :func:`create` made them."""
    v2 = CGROUP_ROOT / "nnlab"
    if (CGROUP_ROOT / "cgroup.controllers").is_file():
        return [Group((folder,)) for folder in sorted(v2.glob(f"{PREFIX}*")) if folder.is_dir()]
    parents = _v1_parents()
    if parents is None:
        return []
    names = {folder.name for parent in parents.values() for folder in parent.glob(f"{PREFIX}*") if folder.is_dir()}
    return [Group(tuple(parents[c] / name for c in ("memory", "cpu") if (parents[c] / name).is_dir()))
            for name in sorted(names)]


def describe(group: Group | None, memory_bytes: int, scratch_bytes: int | None) -> str:
    """How one submission's resources were limited, in words for results and the report."""
    disk = (f"scratch disk {scratch_bytes / 2**30:g} GiB" if scratch_bytes else
            "no scratch disk quota (it needs root)")
    if group is None:
        return f"per-process limits only (no control group could be made: run as root or delegate a cgroup); {disk}"
    return f"memory {memory_bytes / 2**30:g} GiB for the whole submission, an equal CPU share per submission, {disk}"


GROUP_VARIABLE = "NNLAB_JOB_CGROUP"


def to_env(group: Group | None) -> dict[str, str]:
    """How a worker learns its group (it joins before doing anything else)."""
    return {GROUP_VARIABLE: os.pathsep.join(map(str, group.folders)) if group else ""}


def join_from_env() -> Group | None:
    """Put this process (and so everything it starts) into the group named by the environment."""
    value = os.environ.get(GROUP_VARIABLE, "")
    if not value:
        return None
    group = Group(tuple(Path(p) for p in value.split(os.pathsep)))
    group.add(os.getpid())
    return group


@contextlib.contextmanager
def scratch_quota(folder: Path, size_bytes: int, *, keep: bool = False) -> Iterator[bool]:
    """Make ``folder`` a file system of its own of ``size_bytes`` (a tmpfs; root only) while the block runs.

    Yields whether the quota applies. Its pages count towards the job's memory group. With ``keep``,
    the contents are copied back to an ordinary folder afterwards (``--keep-scratch``).
    """
    folder.mkdir(parents=True, exist_ok=True)
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_bytes},mode=0777", "tmpfs", str(folder)],
        capture_output=True, check=False).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            kept = Path(tempfile.mkdtemp(prefix="nnlab-kept-", dir=folder.parent)) if keep else None
            if kept is not None:
                shutil.copytree(folder, kept, symlinks=True, dirs_exist_ok=True)
            subprocess.run(["umount", "--lazy", str(folder)], capture_output=True, check=False)
            if kept is not None:
                shutil.copytree(kept, folder, symlinks=True, dirs_exist_ok=True)
                shutil.rmtree(kept, ignore_errors=True)


QUOTA_FOLDERS = ("scratch", "probe", "rescue")  # under a job's work folder: every folder student code can write


def mounts_under(folder: Path) -> list[Path]:
    """The grader's scratch disks mounted below ``folder`` (tmpfs mounts on a job's quota folders), deepest first,
    from this process's mount table; no other mount is ever touched."""
    root = os.path.realpath(folder)
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields, _, after = line.partition(" - ")
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields.split()[4])
        if point.startswith(root + os.sep) and after.split()[:1] == ["tmpfs"] and Path(point).name in QUOTA_FOLDERS:
            found.append(Path(point))
    return sorted(set(found), key=lambda p: len(p.parts), reverse=True)


def unmount_under(folder: Path) -> list[Path]:
    """Unmount the grader's scratch disks below ``folder`` (:func:`mounts_under`); returns what was unmounted."""
    points = mounts_under(folder)
    for point in points:
        subprocess.run(["umount", "--lazy", str(point)], capture_output=True, check=False)
    return points
