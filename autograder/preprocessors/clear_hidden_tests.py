"""Remove hidden test regions from the grader's test cells only: a student's text is never read as nbgrader markup."""

from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests


class ClearHiddenTestsInTestCells(ClearHiddenTests):
    """nbgrader's ``ClearHiddenTests`` for the cells whose text comes from the master (autograded test cells).

    nbgrader's own reads every cell and raises on a ``### BEGIN HIDDEN TESTS`` without its end, so a student
    who typed that line in an answer or a note would make their feedback page impossible to generate.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        if utils.is_grade(cell) and not utils.is_solution(cell):  # test cells: the master's text, restored
            return super().preprocess_cell(cell, resources, cell_index)
        return cell, resources
