"""Which cells are the student's is decided in one place, by cell id and source against the release."""

from __future__ import annotations

import copy

import nbformat

from autograder import course
from autograder.student_cells import students_cells


def _release():
    (release,) = course.released_notebooks("a1_noise_mlp").values()
    return release


def test_answer_added_and_changed_cells_are_the_students_and_untouched_locked_cells_are_not():
    release = _release()
    nb = copy.deepcopy(release)
    answers = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    locked = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("solution")]
    assert answers and locked
    assert students_cells(nb, release) == answers  # the release itself: only its answer cells

    locked[1].source += "\nprint('mine')"  # a locked cell the student changed
    locked[2].metadata["nbgrader"]["solution"] = True  # metadata claims are not trusted: still locked
    added = nbformat.v4.new_code_cell("x = 1")
    nb.cells.insert(3, added)
    theirs = students_cells(nb, release)
    assert added in theirs and locked[1] in theirs and locked[2] not in theirs
    assert all(a in theirs for a in answers)


def test_a_locked_cell_moved_elsewhere_keeps_its_id_and_stays_locked():
    release = _release()
    nb = copy.deepcopy(release)
    nb.cells.append(nb.cells.pop(1))
    assert nb.cells[-1] not in students_cells(nb, release)
