"""What the verifier judges one submission by: the notebook's artifacts, the probe's outputs, its own data."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from helpers import data
from helpers.budget import Budget, get_budget

from autograder.verify.artifacts import Folder
from autograder.verify.probe import ProbeOutputs


@lru_cache(maxsize=None)
def _dataset(name: str, budget: str, flatten: bool) -> data.Dataset:
    return data.load_for_budget(name, get_budget(budget), flatten=flatten)


@dataclass(frozen=True)
class Evidence:
    """Artifacts as data, plus the grader's own copy of the data set at the grading budget."""

    notebook: Folder
    probe: ProbeOutputs
    budget: Budget

    def dataset(self, name: str, *, flatten: bool = False) -> data.Dataset:
        """Loaded by this process from the read-only mirror, never from anything the kernel wrote."""
        return _dataset(name, self.budget.name, flatten)

    def threshold(self, result: str) -> float:
        return self.budget.threshold(result)
