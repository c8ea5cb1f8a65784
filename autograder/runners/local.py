"""Local runner: a pool of threads, each supervising one worker process at a time from its own warm slot."""

from __future__ import annotations

import contextlib
import os
import queue
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Iterable, Iterator

from autograder.job import Job
from autograder.jobs import Slot, run_job
from autograder.results import Problem, Result

# Peak resident memory of one grading kernel at the `grade` budget is ~1.3 GiB (a3, CIFAR-10);
# the margin covers nbgrader, the worker process and the slot's warm verifier (~1.1 GiB resident).
RESIDENT_BYTES_PER_NOTEBOOK = 3 * 2**30


def default_workers() -> int:
    """Notebooks graded at once by default: one per usable CPU, as many as memory allows.

    Small training runs leave much of a second core idle (tracing, Python, I/O), so even on two
    cores two notebooks at once finish sooner than one after the other (benchmarks/results/bench.md).
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return max(1, cpus)
    return max(1, min(cpus, available // RESIDENT_BYTES_PER_NOTEBOOK))


class LocalRunner:
    """``workers`` jobs at once on this machine."""

    def __init__(self, workers: int | None = None):
        self.workers = max(1, workers or default_workers())

    def run(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, Result]]:
        free: queue.SimpleQueue[Slot] = queue.SimpleQueue()
        slots = [Slot() for _ in range(self.workers)]
        for slot in slots:
            free.put(slot)

        def graded(job: Job) -> Result:  # a slot's warm verifier and launcher serve all its jobs, one at a time
            slot = free.get()
            try:
                return run_job(job, slot)
            finally:
                free.put(slot)

        with contextlib.ExitStack() as stack, ThreadPoolExecutor(max_workers=self.workers) as pool:
            for slot in slots:
                stack.enter_context(slot)
            futures = {pool.submit(graded, job): job for job in jobs}
            try:
                for future in as_completed(futures):
                    job = futures[future]
                    try:
                        result = future.result()
                    except Exception as error:  # noqa: BLE001 - the supervisor failed: not graded, never a crash
                        result = job.empty_result(Problem.infrastructure(
                            f"the grading supervisor failed ({type(error).__name__}: {error})"))
                    yield job, result
            except BaseException:  # a signal (KeyboardInterrupt), or the caller stopped reading (GeneratorExit)
                for future in futures:
                    future.cancel()  # jobs not started yet never start
                for slot in slots:
                    slot.interrupt()  # running jobs end now; their threads remove their groups and mounts
                raise
