"""Which cells of a submitted notebook are the student's: every cell that is not, id and source, a locked cell of
the release. The submitted nbgrader metadata is never trusted for this (a student can edit it)."""

from __future__ import annotations

from typing import AbstractSet

import nbformat

Locked = AbstractSet[tuple[str | None, str]]


def locked_cells(release: nbformat.NotebookNode) -> frozenset[tuple[str | None, str]]:
    """(cell id, source) of the release's cells a student cannot change (every cell but the answer cells)."""
    return frozenset((cell.get("id"), cell.source.strip()) for cell in release.cells
                     if not cell.metadata.get("nbgrader", {}).get("solution"))


def is_students(cell: nbformat.NotebookNode, locked: Locked) -> bool:
    """Whether ``cell`` is the student's: an answer cell, a cell they added, or a locked cell they changed."""
    return (cell.get("id"), cell.source.strip()) not in locked


def students_cells(nb: nbformat.NotebookNode, release: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """The cells of ``nb`` that are the student's, in order."""
    locked = locked_cells(release)
    return [cell for cell in nb.cells if is_students(cell, locked)]
