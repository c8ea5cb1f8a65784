"""Pairs of submissions whose solution code is suspiciously similar (token fingerprints from copydetect).

Each submission's code is what the student wrote (:mod:`autograder.student_cells`): its answer cells, any
cells it added and any released cell it changed. Code
is tokenised with variable names and comments normalised away, so renaming and re-commenting do
not hide a copy; fingerprints of the released template and of the helpers are boilerplate and
never count. A pair is reported when at least ``THRESHOLD`` of *both* submissions' remaining
fingerprinted tokens are shared (docs: docs/instructors.md). A report is a reason
to look, not a verdict.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import nbformat

from autograder import course
from autograder.store import ResultStore
from autograder.student_cells import students_cells

NOISE_TOKENS = 25  # copydetect's k: shorter matches are ignored
GUARANTEE_TOKENS = 30  # matches this long are always found
THRESHOLD = 0.6


@dataclass(frozen=True)
class SimilarPair:
    """Two submissions of one assignment and how much of each one's own code the other shares."""

    assignment: str
    students: tuple[str, str]
    shares: tuple[float, float]
    highlighted: tuple[str, str]  # each side's code as HTML, shared regions in <mark>


def student_code(nb: nbformat.NotebookNode, release: nbformat.NotebookNode) -> str:
    """The code a student wrote: their code cells (:mod:`autograder.student_cells`), answer stubs left out."""
    cells = [c.source for c in students_cells(nb, release) if c.cell_type == "code"]
    return "\n\n".join(s for s in cells if s.strip() and s.strip() != course.CODE_STUB)


def _fingerprint(name: str, code: str, boilerplate=None, *, every_kgram: bool = False):
    """copydetect's fingerprint of ``code``; boilerplate keeps every k-gram (window 1), as copydetect does."""
    from copydetect import CodeFingerprint

    window = 1 if every_kgram else GUARANTEE_TOKENS - NOISE_TOKENS + 1
    return CodeFingerprint(f"{name}.py", NOISE_TOKENS, window, boilerplate=boilerplate, fp=io.StringIO(code))


def _boilerplate(assignment: str) -> list[int]:
    """Fingerprints of the released notebooks (whole, and their answer cells as a student's code reads them) and
    of the helpers students import."""
    released = course.released_notebooks(assignment).values()
    texts = ["\n\n".join(c.source for nb in released for c in nb.cells if c.cell_type == "code"),
             "\n\n".join(student_code(nb, nb) for nb in released),
             "\n\n".join(p.read_text() for p in sorted((course.REPO / "helpers").glob("*.py")))]
    return sorted(set().union(*(_fingerprint("boilerplate", t, every_kgram=True).hashes for t in texts)))


def similar_pairs(codes: dict[tuple[str, str], str], threshold: float = THRESHOLD) -> list[SimilarPair]:
    """Compare every two submissions of the same assignment; ``codes`` maps (student, assignment) -> code."""
    from copydetect import compare_files
    from copydetect.utils import highlight_overlap

    pairs = []
    for assignment in sorted({a for _, a in codes}):
        boilerplate = _boilerplate(assignment)
        prints = {s: _fingerprint(s, code, boilerplate) for (s, a), code in sorted(codes.items()) if a == assignment}
        prints = {s: fp for s, fp in prints.items() if len(fp.hashes)}  # nothing of their own: nothing to compare
        for first, second in combinations(sorted(prints), 2):
            overlap, shares, slices = compare_files(prints[first], prints[second])
            if overlap and min(shares) >= threshold:
                marked = tuple(highlight_overlap(prints[s].raw_code, sl, "<mark>", "</mark>", escape_html=True)[0]
                               for s, sl in zip((first, second), slices))
                pairs.append(SimilarPair(assignment, (first, second), (float(shares[0]), float(shares[1])), marked))
    return sorted(pairs, key=lambda p: -min(p.shares))


def class_code(out_dir: Path) -> dict[tuple[str, str], str]:
    """The student code of every submitted notebook under ``OUT/work/jobs`` (the copies grading made)."""
    codes, releases = {}, {}
    for folder in (f for job in ResultStore(out_dir).job_folders() for f in job.steps("submitted")):
        student, assignment = folder.parent.name, folder.name
        release = releases.setdefault(assignment, course.released_notebooks(assignment))
        texts = [student_code(nbformat.read(p, as_version=4), release[p.stem]) for p in sorted(folder.glob("*.ipynb"))
                 if p.stem in release]
        if any(texts):
            codes[(student, assignment)] = "\n\n".join(texts)
    return codes


def html_section(pairs: list[SimilarPair]) -> str:
    """The report's similarity section: a table, then each pair's code side by side."""
    intro = (f"<p>Pairs of submissions of one assignment sharing at least {THRESHOLD:.0%} of each one's own "
             f"fingerprinted code (copydetect, {NOISE_TOKENS}-token matches, names and comments normalised, "
             "released template and helpers excluded). A reason to look, not a verdict.</p>")
    if not pairs:
        return intro + "<p>No pair above the threshold.</p>"
    rows = "".join(f"<tr><td>{html.escape(p.assignment)}</td><td>{html.escape(p.students[0])}</td>"
                   f"<td>{html.escape(p.students[1])}</td><td>{p.shares[0]:.0%} / {p.shares[1]:.0%}</td></tr>"
                   for p in pairs)
    sides = "".join(
        f"<h3>{html.escape(p.assignment)}: {html.escape(p.students[0])} and {html.escape(p.students[1])}</h3>"
        f"<div class='pair'><pre>{p.highlighted[0]}</pre><pre>{p.highlighted[1]}</pre></div>" for p in pairs)
    return (intro + "<table><tr><th>assignment</th><th>student</th><th>student</th><th>shared</th></tr>"
            f"{rows}</table>{sides}")
