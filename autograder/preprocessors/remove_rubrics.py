"""Remove the graders' rubric cells that ``formgrader`` shows beside written answers, so feedback never has them."""

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

RUBRIC_METADATA = "rubric"  # cell.metadata.nnlab.rubric


def is_rubric(cell) -> bool:
    return bool(cell.get("metadata", {}).get("nnlab", {}).get(RUBRIC_METADATA))


class RemoveRubrics(Preprocessor):
    """Drop every cell marked ``nnlab.rubric``."""

    enabled = Bool(True, help="nbconvert preprocessors are off unless enabled").tag(config=True)

    def preprocess(self, nb, resources):
        nb.cells = [cell for cell in nb.cells if not is_rubric(cell)]
        return nb, resources
