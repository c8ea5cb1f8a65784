"""Cap what outputs can add to a notebook: nbgrader's LimitOutput counts lines, so one 20 MB line, a 50 MB
image or a hundred thousand small outputs would slip through into the gradebook and the feedback page."""

from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_output
from traitlets import Bool, Integer


class LimitOutputSize(Preprocessor):
    """Truncate text outputs, drop oversized images, keep a bounded number of outputs per cell and notebook."""

    enabled = Bool(True, help="nbconvert preprocessors are off unless enabled").tag(config=True)
    max_chars = Integer(20_000, help="characters kept of each text output").tag(config=True)
    max_image_chars = Integer(2_000_000, help="largest (base64) image kept").tag(config=True)
    max_outputs = Integer(50, help="outputs kept per cell").tag(config=True)
    max_total_chars = Integer(10_000_000, help="characters of output kept in the whole notebook").tag(config=True)

    def _cut(self, text: str) -> str:
        if len(text) <= self.max_chars:
            return text
        return text[: self.max_chars] + f"\n... [output truncated: {len(text):,} characters in all]\n"

    def _limit(self, output) -> None:
        if "text" in output:
            output["text"] = self._cut("".join(output["text"]) if isinstance(output["text"], list) else output["text"])
        data = output.get("data", {})
        for mime, value in list(data.items()):
            if isinstance(value, list):
                value = "".join(value)
            if mime.startswith("text/") and isinstance(value, str):
                data[mime] = self._cut(value)
            elif mime.startswith("image/") and len(str(value)) > self.max_image_chars:
                del data[mime]
                data["text/plain"] = f"[image removed: {len(str(value)):,} characters, over the limit]"

    def preprocess(self, nb, resources):
        self._total = 0
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        outputs = cell.get("outputs", [])
        if len(outputs) > self.max_outputs:
            note = new_output("stream", name="stdout",
                              text=f"[{len(outputs) - self.max_outputs:,} more outputs removed: over the limit]\n")
            cell["outputs"] = outputs = outputs[: self.max_outputs] + [note]
        kept = []
        for output in outputs:
            self._limit(output)
            self._total += len(str(output))
            if self._total > self.max_total_chars and output.get("output_type") != "error":
                kept.append(new_output("stream", name="stdout", text="[output removed: the notebook's outputs are "
                                                                     "over the size limit]\n"))
            else:
                kept.append(output)
        if "outputs" in cell:
            cell["outputs"] = kept
        return cell, resources
