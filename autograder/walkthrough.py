"""`walkthrough`: execute the master notebooks and render a small static self-study site.

Hidden tests and graders' rubrics are removed, solutions and figures are kept; an index page
links the three topics and shows their key result tables.
"""

from __future__ import annotations

import html
import os
import re
import time
from pathlib import Path

import nbformat

from autograder import course

RUBRIC = re.compile(r"\*\*Grader's rubric\.\*\*.*?(?=\*\*Model answer\.\*\*)", re.S)
MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)
KEY_CELLS = ("train_clean_noisy", "sweep_plot", "table", "train_all")
TITLES = {"a1_noise_mlp": "Noise and a multilayer perceptron (MNIST)",
          "a2_depth_bn_dropout": "Depth, BatchNorm and Dropout (MNIST)",
          "a3_cifar_cnn": "A CNN on CIFAR-10"}


def for_self_study(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove hidden tests, rubrics and solution markers; keep the worked solutions."""
    for cell in nb.cells:
        cell.source = MARKERS.sub("", RUBRIC.sub("", course.without_hidden_tests(cell.source)))
    return nb


def key_results(nb: nbformat.NotebookNode) -> str:
    """The printed result tables of the notebook's key cells."""
    texts = []
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") in KEY_CELLS:
            texts += [o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stdout"]
    return "".join(t for t in texts if "+--" in t)


def build(out: Path, *, budget: str) -> Path:
    """Execute every master at ``budget`` and write ``out/index.html`` plus one page per assignment."""
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    os.environ["NNLAB_BUDGET"] = budget
    out.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter()
    entries = []
    for assignment in course.assignments():
        for path in sorted((course.SOLUTIONS / assignment).glob("*.ipynb")):
            nb = for_self_study(nbformat.read(path, as_version=4))
            start = time.monotonic()
            NotebookClient(nb, timeout=None, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
                           ).execute()
            seconds = time.monotonic() - start
            body, _ = exporter.from_notebook_node(nb)
            page = f"{assignment}.html"
            (out / page).write_text(body)
            entries.append((assignment, page, seconds, key_results(nb)))
            print(f"{assignment}: executed in {seconds:.0f} s -> {out / page}")
    items = "".join(
        f"<section><h2><a href='{page}'>{html.escape(TITLES.get(a, a))}</a></h2>"
        f"<p>Executed at the <code>{budget}</code> budget in {s:.0f} s.</p><pre>{html.escape(results)}</pre></section>"
        for a, page, s, results in entries)
    index = out / "index.html"
    index.write_text(f"""<!doctype html><html><head><meta charset="utf-8"><title>nnlab walkthrough</title>
<style>body{{font-family:sans-serif;max-width:960px;margin:2em auto}}pre{{background:#f6f6f6;padding:1em;overflow:auto}}</style>
</head><body><h1>Neural-network image recognition: worked walkthrough</h1>
<p>Three assignments with their solutions, figures and results. Re-run them yourself from
<code>solutions/</code>, or try the exercises in <code>notebooks/</code> first.</p>{items}</body></html>""")
    return index
