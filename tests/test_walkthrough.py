"""`make walkthrough`: executes the masters and renders the self-study site (at the smoke budget here)."""

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder import course
from autograder.walkthrough import build, contents, for_reading

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TABLE = """+---------------+
| Clean vs noisy |
+-------+-------+
| model | val acc (%) |
+-------+-------+
| clean | 98.49 |
+-------+-------+
"""


def test_pages_read_like_a_book_no_logs_no_warnings_tables_as_html():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_markdown_cell("## Step 1 — the data\n### A detail"),
        nbformat.v4.new_code_cell("print(table)")])
    nb.cells[2].outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="I0000 port.cc:153] oneDNN custom operations are on\n"),
        nbformat.v4.new_output("stream", name="stderr", text="clean: 100%|##########| 3/3 [00:02<00:00]\n"),
        nbformat.v4.new_output("stream", name="stdout", text="/x/y.py:12: UserWarning: retracing\n  fn()\nbefore\n" + TABLE)]
    page = for_reading(nb, "grade")
    outputs = page.cells[3].outputs
    assert [o.output_type for o in outputs] == ["stream", "display_data"]
    assert outputs[0].text == "before\n" and outputs[0].name == "stdout"
    table = outputs[1].data["text/html"]
    assert "<caption>Clean vs noisy</caption>" in table and "<th>val acc (%)</th>" in table and "<td>98.49</td>" in table
    assert "[Step 1 — the data](#Step-1-%E2%80%94-the-data)" in page.cells[1].source and "`grade` budget" in page.cells[1].source
    assert contents(nb).splitlines()[1] == "  - [A detail](#A-detail)"


@pytest.mark.slow
def test_walkthrough_site(tmp_path):
    index = build(tmp_path / "site", budget="smoke")
    text = index.read_text()
    for assignment in course.assignments():
        page = (tmp_path / "site" / f"{assignment}.html").read_text()
        assert f"href='{assignment}.html'" in text
        assert "<img" in page and "BEGIN HIDDEN" not in page and "_recomputed" not in page
        assert "Grader's rubric" not in page and "BEGIN SOLUTION" not in page
        text_only = re.sub(r"<[^>]+>", "", page)
        assert "def build_" in text_only or "def add_noise" in text_only  # the worked solutions are shown
        assert "raise NotImplementedError" not in text_only
        assert 'data-mime-type="application/vnd.jupyter.stderr"' not in page  # no log lines or progress bars
        assert "Warning:" not in text_only and "+---" not in page
    assert text.count("<table class='results'>") >= 3  # key result tables on the index page
    _looks_right_in_a_browser(tmp_path / "site" / "a1_noise_mlp.html")


def _looks_right_in_a_browser(page_path: Path) -> None:
    """Open a page in Chromium: contents links lead to headings, tables are tables, figures show; a screenshot."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install chromium chromium-driver (.ci/run does this)")
    shots = course.REPO / "artifacts" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1200, "height": 1400})
        page.goto(page_path.as_uri())
        page.screenshot(path=str(shots / "walkthrough_a1.png"))
        links = page.eval_on_selector_all("a[href^='#Step']", "els => els.map(e => e.getAttribute('href').slice(1))")
        assert len(links) >= 4
        assert all(page.evaluate("id => document.getElementById(id) !== null", target) for target in links), links
        assert page.locator("table.results").count() >= 2
        assert page.locator("img").first.bounding_box()["width"] > 300
        browser.close()
