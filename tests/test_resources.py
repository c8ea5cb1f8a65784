"""One submission's processes share one memory limit and one CPU share (control groups).

Where this machine lets the grader make control groups (root, or a delegated cgroup), both are
measured; elsewhere the fallback must say so in words, since per-process limits are all that is left.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from autograder.sandboxes import resources
from benchmarks.phases import process_cpu_seconds

BUSY = "import time\nend = time.time() + {seconds}\nwhile time.time() < end:\n    pass"
ALLOCATE = ("import time\nblock = bytearray({size})\nfor i in range(0, len(block), 4096):\n    block[i] = 1\n"
            "time.sleep(3)")


@pytest.fixture()
def groups():
    made = []

    def make(memory_bytes: int = 2**30):
        group = resources.create(f"test-{len(made)}-{time.monotonic_ns()}", memory_bytes)
        if group is None:
            assert "per-process limits only" in resources.describe(None, memory_bytes)
            pytest.fail("no control group can be made here: grade as root or delegate a cgroup to the grader")
        made.append(group)
        return group

    yield make
    for group in made:
        group.remove()


def _start_in(group, code: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.3)\n" + code])
    group.add(process.pid)
    return process


def test_a_submission_with_many_busy_processes_gets_no_more_cpu_than_a_quiet_neighbour(groups):
    greedy, honest = groups(), groups()
    burners = [_start_in(greedy, BUSY.format(seconds=4)) for _ in range(6)]
    worker = _start_in(honest, BUSY.format(seconds=4))
    time.sleep(3.5)
    honest_seconds, greedy_seconds = process_cpu_seconds(worker.pid), sum(process_cpu_seconds(p.pid) for p in burners)
    for process in [*burners, worker]:
        process.wait()
    # equal shares: the one honest process gets about what all six burners get together (1.0 on a quiet machine,
    # 0.59 measured while the other test process graded); without groups, a sixth (0.16 measured)
    assert honest_seconds > 0.4 * greedy_seconds, (honest_seconds, greedy_seconds)


def test_memory_is_limited_for_all_processes_of_a_submission_together(groups):
    group = groups(memory_bytes=300 * 2**20)
    processes = [_start_in(group, ALLOCATE.format(size=200 * 2**20)) for _ in range(2)]
    codes = [p.wait(timeout=60) for p in processes]
    assert -9 in codes, codes  # each alone fits; together they exceed the limit and one is killed


def test_every_process_left_in_a_group_ends_with_it(groups):
    group = groups()
    sleeper = _start_in(group, "time.sleep(60)")
    time.sleep(0.5)
    group.remove()
    assert sleeper.wait(timeout=10) == -9


def test_the_scratch_folder_has_a_disk_quota_and_is_kept_on_request(tmp_path):
    folder = tmp_path / "scratch"
    with resources.scratch_quota(folder, 8 * 2**20, keep=True) as applied:
        if not applied:
            pytest.fail("the scratch quota needs root (a tmpfs of its own); grade as root")
        (folder / "small.txt").write_text("kept")
        with pytest.raises(OSError, match="No space left"):
            (folder / "big.bin").write_bytes(b"x" * 16 * 2**20)
    assert (folder / "small.txt").read_text() == "kept"  # --keep-scratch: copied back to an ordinary folder
    assert subprocess.run(["mountpoint", "-q", str(folder)]).returncode != 0


def test_cleaning_finds_the_graders_scratch_disks_and_no_other_mount(tmp_path):
    from autograder.sandboxes.resources import mounts_under, unmount_under

    other = tmp_path / "someone-elses"
    other.mkdir()
    assert subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(other)]).returncode == 0
    try:
        with resources.scratch_quota(tmp_path / "jobs" / "a__b" / "scratch", 2**20) as applies:
            assert applies
            assert mounts_under(tmp_path) == [tmp_path / "jobs" / "a__b" / "scratch"]
            assert unmount_under(tmp_path) == [tmp_path / "jobs" / "a__b" / "scratch"]
            assert mounts_under(tmp_path) == [] and os.path.ismount(other)
    finally:
        subprocess.run(["umount", "--lazy", str(other)])
