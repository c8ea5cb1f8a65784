"""Cut oversized text outputs: nbgrader's LimitOutput counts lines, so one 20 MB line slips through."""

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Integer


class LimitOutputSize(Preprocessor):
    """Truncate every text output of a code cell to ``max_chars`` characters."""

    enabled = Bool(True, help="nbconvert preprocessors are off unless enabled").tag(config=True)
    max_chars = Integer(20_000, help="characters kept of each text output").tag(config=True)

    def _cut(self, text: str) -> str:
        if len(text) <= self.max_chars:
            return text
        return text[: self.max_chars] + f"\n... [output truncated: {len(text):,} characters in all]\n"

    def preprocess_cell(self, cell, resources, index):
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = self._cut("".join(output["text"]) if isinstance(output["text"], list) else output["text"])
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/") and isinstance(value, str):
                    output["data"][mime] = self._cut(value)
        return cell, resources
