"""Judge every autograded test of one submission from its artifacts, in a process that runs no student code.

:func:`judge` reads the artifacts (saved by the notebook's test cells) and ``PROBE/out`` (written by
:mod:`autograder.verify.probe`). The data set comes from ``NNLAB_DATA_DIR``, the read-only mirror,
loaded by the verifier's own process (:mod:`autograder.verify.service`).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from autograder.verify.artifacts import Folder, Unusable
from autograder.verify.rules import Failed

@dataclass(frozen=True)
class Verdict:
    """The grader's judgement of one autograded test."""

    test: str
    passed: bool
    message: str = ""
    rescued: bool = False  # judged with the reference version of an earlier step that failed (see rescue.py)


def checks_for(assignment: str) -> ModuleType:
    """The module holding ``CALLS``, ``inputs()`` and ``CHECKS`` of an assignment."""
    return importlib.import_module(f"autograder.verify.{assignment}")


def judge(assignment: str, artifacts: Path, probe_root: Path, budget: str) -> list[Verdict]:
    """Run every check of ``assignment``; a check that cannot read what it needs fails with that reason."""
    from helpers.budget import get_budget

    from autograder.verify.evidence import Evidence
    from autograder.verify.probe import ProbeOutputs

    evidence = Evidence(Folder(artifacts), ProbeOutputs.read(probe_root), get_budget(budget))
    verdicts = []
    for test, check in checks_for(assignment).CHECKS.items():
        try:
            check(evidence)
            verdicts.append(Verdict(test, True))
        except (Failed, Unusable) as reason:
            verdicts.append(Verdict(test, False, str(reason)[:500]))
    return verdicts
