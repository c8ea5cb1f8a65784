"""The class report: where the class struggled, at a glance (HTML page + PNG figures)."""

from __future__ import annotations

import html
from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from autograder import gradebook
from autograder.results import ProblemKind, Result, Scores
from autograder.store import ResultStore


def _save(fig, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


def problem_counts(results: list[Result]) -> Counter:
    """Submissions with at least one problem of each kind."""
    return Counter(kind for r in results for kind in {p.kind for p in r.problems})


def figures(results: list[Result], folder: Path) -> dict[str, str]:
    """Draw the report's figures into ``folder``; returns {title: file name}."""
    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    assignments = sorted({r.assignment for r in results})

    fig, axes = plt.subplots(1, len(assignments), figsize=(4.5 * len(assignments), 3.5), squeeze=False)
    for ax, assignment in zip(axes[0], assignments):
        rows = [r for r in results if r.assignment == assignment]
        ax.hist([r.scores.auto_score for r in rows if r.graded], bins=10,
                range=(0, max(r.auto_max_score for r in rows) or 1))
        ax.set_title(assignment)
        ax.set_xlabel("autograded score")
        ax.set_ylabel("students")
    made["Score distribution per assignment"] = _save(fig, folder / "scores.png")

    tests = sorted({(t.notebook, t.test) for r in results for t in r.tests})
    if tests:
        rates = []
        for notebook, test in tests:
            runs = [t for r in results for t in r.tests if (t.notebook, t.test) == (notebook, test)]
            rates.append(100 * sum(t.passed for t in runs) / len(runs))
        fig, ax = plt.subplots(figsize=(8, 0.35 * len(tests) + 1.5))
        ax.barh([f"{n}: {t}" for n, t in tests], rates, color="C2")
        ax.set_xlim(0, 100)
        ax.set_xlabel("students passing (%)")
        ax.set_title("Pass rate of every test (per question)")
        ax.invert_yaxis()
        made["Pass rate of every test"] = _save(fig, folder / "pass_rates.png")

    fig, ax = plt.subplots(figsize=(8, 0.3 * len(results) + 1.5))
    ax.barh([f"{r.student_id} / {r.assignment}" for r in results], [r.seconds for r in results])
    ax.set_xlabel("grading time (s)")
    ax.set_title("Grading time per submission")
    ax.invert_yaxis()
    made["Grading time per submission"] = _save(fig, folder / "grading_time.png")

    phases = Counter()
    for r in results:
        phases.update(r.phases)
    if phases:
        fig, ax = plt.subplots(figsize=(8, 0.35 * len(phases) + 1.5))
        ax.barh(list(phases), [v / 60 for v in phases.values()], color="C1")
        ax.set_xlabel("minutes, all submissions together")
        ax.set_title("Where grading time went")
        ax.invert_yaxis()
        made["Where grading time went"] = _save(fig, folder / "phases.png")

    kinds = problem_counts(results)
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(ProblemKind) + 1.5))
    ax.barh([k.value for k in ProblemKind], [kinds[k] for k in ProblemKind], color="C3")
    ax.set_xlabel("submissions")
    ax.set_title("Problems by kind")
    made["Problems by kind"] = _save(fig, folder / "failures.png")
    return made


def write_report(out_dir: Path, db_url: str | None = None) -> Path:
    """Write ``out_dir/report/index.html`` (with its PNG figures) from the graded results.

    Scores come from the class gradebook at ``db_url`` (default ``OUT/gradebook.db``) when it exists,
    so written answers graded in formgrader count; otherwise from the results alone.
    """
    results = ResultStore(out_dir).all()
    if not results:
        raise FileNotFoundError(f"no graded submissions under {out_dir}/work/jobs: run `grade` first")
    folder = out_dir / "report"
    made = figures(results, folder)
    try:
        class_scores = gradebook.scores(gradebook.require(db_url or gradebook.sqlite_url(out_dir)))
    except FileNotFoundError:
        class_scores = {}
    rows = "".join(_row(r, class_scores.get((r.student_id, r.assignment))) for r in results)
    lateness = _lateness(class_scores.values())
    kinds = problem_counts(results)
    by_kind = "".join(f"<li>{kind.value}: {kinds[kind]} submission(s)</li>" for kind in ProblemKind)
    settings = sorted({(r.budget, r.sandbox, r.resources) for r in results})
    used = "; ".join(f"budget {b}, sandbox {s}" + (f", {limits}" if limits else "") for b, s, limits in settings)
    images = "".join(f"<h2>{html.escape(title)}</h2><img src='{name}' alt='{html.escape(title)}'>"
                     for title, name in made.items())
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Class report</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px}}img{{max-width:100%}}
.pair{{display:grid;grid-template-columns:1fr 1fr;gap:1em}}pre{{background:#f6f6f6;padding:.5em;overflow:auto}}
mark{{background:#ffd27f}}</style></head><body>
<h1>Class report</h1><p>{len(results)} submissions, {sum(r.status == 'graded' for r in results)} graded cleanly,
{sum(not r.graded for r in results)} not graded (the grader failed; no score). Graded with {html.escape(used)}.</p>
{lateness}<h2>Problems by kind</h2><ul>{by_kind}</ul>
<p>Points come from the grader's checks, run outside the student's kernel. <em>Review</em> lists where the
notebook's own tests disagreed with them; <em>scan notes</em> are code the static scan noticed (advisory: they never
change points).</p>
<table><tr><th>student</th><th>assignment</th><th>score</th><th>autograded</th><th>time</th><th>status</th>
<th>review</th><th>scan notes</th></tr>
{rows}</table>{images}</body></html>"""
    from autograder.similarity import class_code, html_section, similar_pairs

    similarity = html_section(similar_pairs(class_code(out_dir)))
    page = page.replace("</body>", f"<h2>Similar solutions</h2>{similarity}</body>")
    index = folder / "index.html"
    index.write_text(page)
    return index


def _lateness(scores) -> str:
    """How many submissions came in late, and how many of an assignment with a due date had no known time."""
    scores = list(scores)
    late = [s for s in scores if s.seconds_late > 0]
    undated = sum(bool(s.due and not s.submitted) for s in scores)
    if not late and not undated:
        return ""
    return (f"<p>{len(late)} submission(s) late, {sum(s.late_penalty > 0 for s in late)} of them with a penalty; "
            f"{undated} of an assignment with a due date without a known submission time (counted on time).</p>")


def _row(r: Result, in_gradebook: Scores | None) -> str:
    s = (in_gradebook or r.scores) if r.graded else None
    score = f"{s.final:g} / {s.max_score:g}" if s else "not graded"
    if s and s.seconds_late > 0:
        score += f" ({s.score:g} &minus; {s.late_penalty:g}, late {s.late_by})"
    auto = f"{s.auto_score:g} / {s.auto_max_score:g}" if s else "-"
    return (f"<tr><td>{html.escape(r.student_id)}</td><td>{html.escape(r.assignment)}</td><td>{score}</td>"
            f"<td>{auto}</td><td>{r.seconds:.0f} s</td><td>{html.escape(r.status)}</td>"
            f"<td>{html.escape('; '.join(r.reviews))}</td><td>{html.escape('; '.join(r.flags))}</td></tr>")
