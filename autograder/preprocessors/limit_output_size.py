"""Cap what outputs can add to a notebook, whatever their kind: nbgrader's LimitOutput counts lines, so one 20 MB
line, a 50 MB image, a huge JSON or display metadata, an exception's message or a hundred thousand small outputs
would slip through into the gradebook and the feedback page.

Every output is measured the same way (:func:`measure`): all its fields, every MIME type and its metadata, with
the characters a web page must escape counted as what they become there, so the caps hold for the stored
notebook and the feedback page alike.
"""

from __future__ import annotations

from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_output
from traitlets import Bool, Integer

ESCAPED = {"&": 5, "<": 4, ">": 4, '"': 6, "'": 5, "\x1b": 40}  # characters more a page needs (ANSI: a <span>)
ERROR_SUMMARY_CHARS = 200  # an error over the notebook's cap keeps its name and this much of its message
ERRORS_KEPT = 2  # errors past a cell's output limit that are kept (the cell's exception; the grader's limit note)


def measure(value) -> int:
    """Characters ``value`` (an output, or part of one) takes in a notebook file or a page, whichever is more."""
    if isinstance(value, str):
        return len(value) + sum(value.count(c) * extra for c, extra in ESCAPED.items())
    if isinstance(value, dict):
        return sum(len(str(key)) + 4 + measure(item) for key, item in value.items()) + 2
    if isinstance(value, (list, tuple)):
        return sum(measure(item) + 1 for item in value) + 2
    return len(str(value))


def _note(text: str):
    return new_output("stream", name="stdout", text=f"[{text}]\n")


class LimitOutputSize(Preprocessor):
    """Cut texts, drop what is too big in an output, keep a bounded number of outputs per cell and in all."""

    enabled = Bool(True, help="nbconvert preprocessors are off unless enabled").tag(config=True)
    max_chars = Integer(20_000, help="characters kept of each text: a stream, a text/* item, an error's message "
                                     "and its traceback").tag(config=True)
    max_output_chars = Integer(2_000_000, help="largest output kept (as measured), images included").tag(config=True)
    max_outputs = Integer(50, help="outputs kept per cell").tag(config=True)
    max_total_chars = Integer(10_000_000, help="output kept in the whole notebook (as measured)").tag(config=True)

    def _cut(self, text) -> str:
        text = "".join(text) if isinstance(text, list) else str(text)
        if len(text) <= self.max_chars:
            return text
        return text[: self.max_chars] + f"\n... [output truncated: {len(text):,} characters in all]\n"

    def _cut_texts(self, output) -> None:
        if "text" in output:
            output["text"] = self._cut(output["text"])
        if "evalue" in output:
            output["evalue"] = self._cut(output["evalue"])
        if "ename" in output:
            output["ename"] = str(output["ename"])[:ERROR_SUMMARY_CHARS]
        if "traceback" in output:
            output["traceback"] = self._cut("\n".join(map(str, output["traceback"]))).split("\n")
        data = output.get("data", {})
        for mime, value in list(data.items()):
            if mime.startswith("text/"):
                data[mime] = self._cut(value)

    def _fit(self, output):
        """``output`` within ``max_output_chars``: texts cut, then its biggest items and metadata dropped."""
        self._cut_texts(output)
        data = output.get("data", {})
        while measure(output) > self.max_output_chars and data:
            mime = max(data, key=lambda m: measure(data[m]))
            size = measure(data.pop(mime))
            data["text/plain"] = f"[{mime} removed: {size:,} characters, over the limit of one output]"
            if mime == "text/plain":
                break
        if measure(output) > self.max_output_chars and output.get("metadata"):
            output["metadata"] = {}
        if measure(output) <= self.max_output_chars:
            return output
        if output.get("output_type") == "error":
            return self._summary(output)
        return _note(f"output removed: {measure(output):,} characters, over the limit of one output")

    @staticmethod
    def _summary(error):
        """The error's name and the start of its message: what a grade's status needs (e.g. a limit hit)."""
        return new_output("error", ename=str(error.get("ename", ""))[:ERROR_SUMMARY_CHARS],
                          evalue=str(error.get("evalue", ""))[:ERROR_SUMMARY_CHARS], traceback=[])

    def preprocess(self, nb, resources):
        self._total = 0
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if "outputs" not in cell:
            return cell, resources
        outputs = cell["outputs"]
        # the cell's error (an exception, a limit hit) comes last and says why the cell stopped: always kept
        errors = [o for o in outputs[self.max_outputs:] if o.get("output_type") == "error"][-ERRORS_KEPT:]
        dropped = max(0, len(outputs) - self.max_outputs - len(errors))
        kept = []
        for output in outputs[: self.max_outputs] + errors:
            output = self._fit(output)
            if self._total + measure(output) > self.max_total_chars:
                output = (self._summary(output) if output.get("output_type") == "error" else
                          _note("output removed: the notebook's outputs are over the size limit"))
            self._total += measure(output)
            kept.append(output)
        if dropped:
            kept.append(_note(f"{dropped:,} more outputs removed: over the limit of {self.max_outputs} per cell"))
        cell["outputs"] = kept
        return cell, resources
