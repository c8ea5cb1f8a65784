"""Put a note at the top of a late submission's feedback page: when it came in, how late, the penalty."""

from __future__ import annotations

import nbformat
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.results import describe_late


def late_notice(submitted: str, due: str, seconds_late: float, raw: float, penalty: float, max_score: float) -> str:
    """The note's text (Markdown)."""
    penalty_text = (f"the late penalty is **{penalty:g}** point(s): {raw:g} becomes **{raw - penalty:g} / "
                    f"{max_score:g}**" if penalty else "no late penalty applies (within the grace period, waived, "
                    "or the score is at the policy's lowest grade)")
    return (f"**Submitted late.** Handed in {submitted}, {describe_late(seconds_late)} after the due date "
            f"({due}); {penalty_text}.")


class LateNotice(NbGraderPreprocessor):
    """For a submission handed in after its due date (extension included), a Markdown cell first in the page."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            submission = gb.find_submission(info["assignment"], info["student"])
            notebook = gb.find_submission_notebook(info["notebook"], info["assignment"], info["student"])
            seconds = submission.total_seconds_late or 0.0
            if seconds <= 0:
                return nb, resources
            text = late_notice(f"{submission.timestamp:%Y-%m-%d %H:%M} UTC", f"{submission.duedate:%Y-%m-%d %H:%M} UTC",
                               seconds, notebook.score or 0.0, notebook.late_submission_penalty or 0.0,
                               notebook.max_score or 0.0)
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(text))
        return nb, resources
