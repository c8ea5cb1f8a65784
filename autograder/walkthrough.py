"""`walkthrough`: render the master notebooks as a small static self-study site.

The pages show a recorded full-budget run (``walkthrough/full/``, made by ``make walkthrough-record``)
or, with a budget, the masters executed now. Hidden tests and graders' rubrics are removed,
solutions and figures are kept. Pages read like a book: no log lines, progress bars or warnings
(stderr and warning lines are dropped), printed result tables become HTML tables, formulas render
with a MathJax copied beside the pages (no network), and each page opens with its contents and
the budget it ran at. An index page links the three topics and shows their key result tables.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import time
from pathlib import Path

import nbformat

from autograder import ascii_tables, course
from autograder.errors import CannotRun

RUBRIC = re.compile(r"\*\*Grader's rubric\.\*\*.*?(?=\*\*Model answer\.\*\*)", re.S)
MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)
KEY_CELLS = ("train_clean_noisy", "sweep_table", "table", "results_table")
RECORDED_RUN = course.REPO / "walkthrough" / "full"
RECORD_COMMAND = "make walkthrough-record"
TITLES = {"a1_noise_mlp": "Noise and a multilayer perceptron (MNIST)",
          "a2_depth_bn_dropout": "Depth, BatchNorm and Dropout (MNIST)",
          "a3_cifar_cnn": "A CNN on CIFAR-10"}


def for_self_study(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove hidden tests, rubrics and solution markers; keep the worked solutions."""
    for cell in nb.cells:
        cell.source = MARKERS.sub("", RUBRIC.sub("", course.without_hidden_tests(cell.source)))
    return nb


# what ``warnings.formatwarning`` prints (session.start sends warnings to stdout): "file:line: Category: text"
# and the source line under it
WARNING = re.compile(r"^\S+:\d+: \w*Warning: .*\n(?:[ \t]+.*\n?)?", re.M)


def _readable_outputs(outputs: list) -> list:
    """A code cell's outputs without stderr and warnings, printed tables as HTML."""
    kept = []
    for output in outputs:
        if output.get("output_type") != "stream":
            kept.append(output)
            continue
        if output.get("name") != "stdout":
            continue  # log lines and progress bars
        for piece in ascii_tables.split(WARNING.sub("", "".join(output.get("text", "")))):
            if piece.is_table:
                kept.append(nbformat.v4.new_output("display_data", data={"text/html": piece.text}))
            elif piece.text.strip():
                kept.append(nbformat.v4.new_output("stream", name="stdout", text=piece.text))
    return kept


def _anchor(heading: str) -> str:
    """The id nbconvert gives a markdown heading (its rendered text, quoted, spaces as dashes)."""
    from nbconvert.filters.markdown import markdown2html

    found = re.search(r'id="([^"]+)"', markdown2html(heading))
    return found.group(1) if found else ""


def contents(nb: nbformat.NotebookNode) -> str:
    """A markdown list of the notebook's step headings, linked to them."""
    headings = [line for cell in nb.cells if cell.cell_type == "markdown"
                for line in cell.source.splitlines() if line.startswith(("## ", "### "))]
    return "\n".join(("  " if h.startswith("### ") else "") + f"- [{h.lstrip('#').strip()}](#{_anchor(h)})"
                     for h in headings)


def for_reading(nb: nbformat.NotebookNode, budget: str) -> nbformat.NotebookNode:
    """The executed notebook as a page: clean outputs, then contents and budget under the title."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = _readable_outputs(cell.get("outputs", []))
    ran = (f"*The outputs below come from a run at the full budget (`{RECORD_COMMAND}`), the budget the text's "
           "\"Expected output\" paragraphs quote.*" if budget == "full" else
           f"*This page was executed at the `{budget}` budget; the text's \"Expected output\" paragraphs quote the "
           "full-budget numbers (`docs/reproduction.md`), so numbers here differ.*")
    note = f"**Contents**\n\n{contents(nb)}\n\n{ran}"
    nb.cells.insert(1, nbformat.v4.new_markdown_cell(note))
    return nb


def key_results(nb: nbformat.NotebookNode) -> str:
    """The result tables (HTML) of the notebook's key cells."""
    found = []
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") in KEY_CELLS:
            found += [o["data"]["text/html"] for o in cell.get("outputs", []) if "text/html" in o.get("data", {})]
    return "".join(found)


def _masters() -> list[tuple[str, Path]]:
    return [(assignment, path) for assignment in course.assignments()
            for path in sorted((course.SOLUTIONS / assignment).glob("*.ipynb"))]


def _code_cells(nb: nbformat.NotebookNode) -> list:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


class StaleRun(CannotRun):
    """The recorded run's code cells differ from today's masters."""


def execute(path: Path, budget: str) -> tuple[nbformat.NotebookNode, float]:
    """The self-study version of the master at ``path``, executed at ``budget``, and the seconds it took."""
    from nbclient import NotebookClient

    os.environ["NNLAB_BUDGET"] = budget
    nb = for_self_study(nbformat.read(path, as_version=4))
    start = time.monotonic()
    NotebookClient(nb, timeout=None, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
                   ).execute()
    return nb, time.monotonic() - start


def record(run_dir: Path, *, budget: str = "full", only: list[str] | None = None) -> None:
    """Execute the masters at ``budget`` and keep the executed notebooks (stderr dropped) in ``run_dir``."""
    run_dir.mkdir(parents=True, exist_ok=True)
    for assignment, path in _masters():
        if only and assignment not in only:
            continue
        nb, seconds = execute(path, budget)
        for cell in _code_cells(nb):
            cell.outputs = [o for o in cell.outputs if o.get("name") != "stderr"]
        nb.metadata["nnlab_run"] = {"budget": budget, "seconds": round(seconds), "command": RECORD_COMMAND,
                                    "date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count()}
        nbformat.write(nb, run_dir / f"{assignment}.ipynb")
        print(f"{assignment}: executed at {budget} in {seconds:.0f} s -> {run_dir / f'{assignment}.ipynb'}")


def recorded(run_dir: Path, assignment: str, path: Path) -> tuple[nbformat.NotebookNode, str, float]:
    """Today's self-study notebook with the outputs of the recorded run; its budget and seconds.

    The text comes from today's master; the code cells must be the ones that ran, or ``StaleRun``.
    """
    nb = for_self_study(nbformat.read(path, as_version=4))
    run_path = run_dir / f"{assignment}.ipynb"
    if not run_path.exists():
        raise StaleRun(f"no recorded run of {assignment} in {run_dir}: run `{RECORD_COMMAND}`")
    ran = nbformat.read(run_path, as_version=4)
    now_cells, ran_cells = _code_cells(nb), _code_cells(ran)
    changed = [i for i, (now, then) in enumerate(zip(now_cells, ran_cells))
               if now.source.rstrip() != then.source.rstrip()]  # a solution marker at the end leaves a newline
    if changed or len(now_cells) != len(ran_cells):
        raise StaleRun(f"the recorded run of {assignment} is stale: code cells {changed or 'added or removed'} "
                       f"changed since it ran; run `{RECORD_COMMAND}` (or build with --budget to execute afresh)")
    for cell, ran_cell in zip(now_cells, ran_cells):
        cell.outputs, cell.execution_count = ran_cell.outputs, ran_cell.execution_count
    info = ran.metadata["nnlab_run"]
    return nb, info["budget"], info["seconds"]


# the package ships the STIX web fonts only (MathJax 2 would otherwise look for its TeX fonts)
MATHJAX_FONTS = """MathJax.Hub.Config({"HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web",
                                    imageFont: null}});
MathJax.Ajax.loadComplete("[MathJax]/config/local/nnlab.js");
"""


def _install_mathjax(out: Path) -> str:
    """Copy MathJax (from jupyter-server-mathjax) beside the pages, so formulas render offline; its URL."""
    import jupyter_server_mathjax

    shutil.copytree(Path(jupyter_server_mathjax.__file__).parent / "static", out / "mathjax", dirs_exist_ok=True)
    (out / "mathjax" / "config" / "local").mkdir(parents=True, exist_ok=True)
    (out / "mathjax" / "config" / "local" / "nnlab.js").write_text(MATHJAX_FONTS)
    return "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe,local/nnlab"


def build(out: Path, *, budget: str | None = None, run_dir: Path = RECORDED_RUN) -> Path:
    """Write ``out/index.html`` plus one page per assignment.

    With ``budget`` the masters are executed now; without, the pages show the recorded full-budget run
    in ``run_dir`` (seconds to build).
    """
    from nbconvert import HTMLExporter

    out.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter(mathjax_url=_install_mathjax(out))
    entries = []
    for assignment, path in _masters():
        if budget:
            nb, seconds = execute(path, budget)
            ran_at = budget
        else:
            nb, ran_at, seconds = recorded(run_dir, assignment, path)
        body, _ = exporter.from_notebook_node(for_reading(nb, ran_at))
        body = body.replace(f'<script src="{exporter.require_js_url}"></script>', "")  # for widgets: none here
        page = f"{assignment}.html"
        (out / page).write_text(body)
        entries.append((assignment, page, ran_at, seconds, key_results(nb)))
        print(f"{assignment}: {'executed' if budget else 'recorded run'} at {ran_at} ({seconds:.0f} s) -> {out / page}")
    items = "".join(
        f"<section><h2><a href='{page}'>{html.escape(TITLES.get(a, a))}</a></h2>"
        f"<p>Executed at the <code>{b}</code> budget in {s:.0f} s.</p>{results}</section>"
        for a, page, b, s, results in entries)
    index = out / "index.html"
    index.write_text(f"""<!doctype html><html><head><meta charset="utf-8"><title>nnlab walkthrough</title>
<style>body{{font-family:sans-serif;max-width:960px;margin:2em auto}}table.results{{border-collapse:collapse;margin:1em 0}}
table.results td,table.results th{{border:1px solid #ccc;padding:.2em .6em;text-align:right}}caption{{font-weight:bold}}</style>
</head><body><h1>Neural-network image recognition: worked walkthrough</h1>
<p>Three assignments with their solutions, figures and results. Re-run them yourself from
<code>solutions/</code>, or try the exercises in <code>notebooks/</code> first.</p>{items}</body></html>""")
    return index
