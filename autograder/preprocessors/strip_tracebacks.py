"""Remove tracebacks from graded test cells so feedback never shows hidden-test source."""

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool


class StripTestTracebacks(Preprocessor):
    """Keep only ``ErrorName: message`` of errors raised in graded (test) cells."""

    enabled = Bool(True, help="nbconvert preprocessors are off unless enabled").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade") and \
                not cell.metadata.get("nbgrader", {}).get("solution"):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        return cell, resources
