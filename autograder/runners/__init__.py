"""Runners: where jobs run. Each takes jobs and yields ``(job, result)`` as they finish."""

from __future__ import annotations

from typing import Iterable, Iterator, Protocol

from autograder.job import Job
from autograder.results import Result


class Runner(Protocol):
    """Runs grading jobs; a result always comes back for every job (``not graded`` if the runner failed)."""

    def run(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, Result]]: ...
