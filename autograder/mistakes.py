"""The example mistakes of :mod:`autograder.examples` in as few graded notebooks as keeps each one's verdicts its own.

Two mistakes share a notebook only when they change different answer cells and no test that one fails is judged
with, or judged again for, a test that the other fails (the assignment's ``RESCUE``: a mistake is charged once).
So a shared notebook fails exactly the union of its mistakes' tests, each later step that builds on one of them is
still judged again (and must pass), and each notebook test a mistake fails runs beside no other mistake's cells
that it uses. Fewer notebooks means fewer kernels and second runs: the test suite grades every mistake this way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import nbformat

from autograder import examples
from autograder.submissions import SAFE_ID
from autograder.verify.judge import checks_for

# The typical mistake of the tests' small classes (tests/grading.three_of_a1): graded alone, as they write it.
GRADED_ALONE = ("wrong_width",)
SEPARATOR = "+"


def student_of(mutation: examples.Mutation) -> str:
    """The name a mistake has in a student id."""
    return mutation.name.replace("_", "-")


@dataclass(frozen=True)
class MistakeSet:
    """Example mistakes of one assignment, graded as one student's notebook."""

    assignment: str
    mutations: tuple[examples.Mutation, ...]

    @property
    def student(self) -> str:
        return SEPARATOR.join(student_of(m) for m in self.mutations)

    @property
    def fails(self) -> frozenset[str]:
        """Every test the notebook must fail (each of its mistakes' own tests, and no other)."""
        return frozenset(test for m in self.mutations for test in m.fails)

    def notebook(self) -> nbformat.NotebookNode:
        nb = examples.solved(self.assignment)
        for mutation in self.mutations:
            examples.mutate(nb, mutation.cell, mutation.source)
        return nb


def _related(rescue: dict[str, dict[str, str]], a: str, b: str) -> bool:
    """Whether test ``a`` is judged with, or judged again for, test ``b`` (or is ``b``)."""
    return a == b or a in rescue.get(b, {}) or b in rescue.get(a, {})


def _fits(joined: MistakeSet, mutation: examples.Mutation) -> bool:
    rescue = checks_for(mutation.assignment).RESCUE
    return (joined.assignment == mutation.assignment
            and all(m.cell != mutation.cell for m in joined.mutations)
            and not any(_related(rescue, a, b) for a in mutation.fails for b in joined.fails)
            and SAFE_ID.fullmatch(joined.student + SEPARATOR + student_of(mutation)) is not None)


def mistake_sets(mutations: Iterable[examples.Mutation] = examples.MUTATIONS,
                 alone: Iterable[str] = GRADED_ALONE) -> list[MistakeSet]:
    """Each mistake in the first set it fits (in the order given); the ``alone`` ones in a set of their own."""
    alone = set(alone)
    sets: list[MistakeSet] = []
    for mutation in mutations:
        index = next((i for i, joined in enumerate(sets) if not alone & {m.name for m in joined.mutations}
                      and mutation.name not in alone and _fits(joined, mutation)), None)
        if index is None:
            sets.append(MistakeSet(mutation.assignment, (mutation,)))
        else:
            sets[index] = MistakeSet(mutation.assignment, (*sets[index].mutations, mutation))
    return sets


def set_of(name: str, sets: Iterable[MistakeSet] | None = None) -> MistakeSet:
    """The set that holds the mistake called ``name``."""
    return next(s for s in (mistake_sets() if sets is None else sets) if name in {m.name for m in s.mutations})
