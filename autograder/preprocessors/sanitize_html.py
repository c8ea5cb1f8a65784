"""Make student HTML inert in feedback: markdown and HTML outputs cleaned, scripts dropped.

nbconvert's ``sanitize_html`` does not reach markdown rendered by nbgrader's feedback template, so
the notebook itself is cleaned before conversion (nbconvert's ``clean_html`` escapes scripts, event
handlers and other unsafe markup) and JavaScript outputs are removed.
"""

from nbconvert.filters import clean_html
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

SCRIPT_TYPES = ("application/javascript", "text/javascript", "application/vnd.jupyter.widget-view+json")


class SanitizeHtml(Preprocessor):
    """Clean markdown sources and ``text/html``/SVG outputs; drop script outputs."""

    enabled = Bool(True, help="nbconvert preprocessors are off unless enabled").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = clean_html(cell.source)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            for mime in list(data):
                if mime in SCRIPT_TYPES:
                    del data[mime]
                elif mime in ("text/html", "image/svg+xml", "text/markdown"):
                    value = data[mime]
                    data[mime] = clean_html("".join(value) if isinstance(value, list) else value)
        return cell, resources
