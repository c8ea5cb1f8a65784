"""JupyterLab in a real browser (headless Debian Chromium driven by Playwright).

A student opens assignment 1 from the student bundle (not the repository), sets the smoke budget
from the notebook, writes the two noise answers, sees the test's confirmation and the image grid;
an instructor opens the formgrader and sees the assignments. Screenshots are saved to
``artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from autograder import bundle, course

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = course.REPO / "artifacts" / "screenshots"
TOKEN = "nnlab-browser-test"
MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n", re.M)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_serving(server: subprocess.Popen, port: int) -> str:
    """The server's URL once it answers (a test failure if it never does)."""
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
            return url
        except OSError:
            time.sleep(0.5)
    server.kill()
    pytest.fail("JupyterLab did not start")


def _serve(root: Path, env: dict[str, str]):
    """JupyterLab on ``root``; yields its URL, stops it afterwards."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install chromium chromium-driver (.ci/run does this)")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
         f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}", "--allow-root"],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    yield _wait_until_serving(server, port)
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """The instructor's JupyterLab on the repository."""
    home = tmp_path_factory.mktemp("home")
    yield from _serve(course.REPO, {**os.environ, "NNLAB_BUDGET": "smoke", "HOME": str(home),
                                    "JUPYTER_CONFIG_DIR": str(home / ".jupyter")})


@pytest.fixture(scope="module")
def student_lab(tmp_path_factory):
    """A student's JupyterLab on the unzipped bundle of assignment 1, no budget set outside the notebook.

    ``PYTHONPATH`` stands in for the bundle's ``pip install -e .``: the kernel imports the bundle's helpers.
    """
    built, = bundle.build(tmp_path_factory.mktemp("bundle"), ["a1_noise_mlp"])[1:]
    home = tmp_path_factory.mktemp("student-home")
    env = {key: value for key, value in os.environ.items() if not key.startswith("NNLAB_BUDGET")}
    env.update(HOME=str(home), JUPYTER_CONFIG_DIR=str(home / ".jupyter"), PYTHONPATH=str(built.folder))
    yield from _serve(built.folder, env)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield chromium
        chromium.close()


def _answer(cell_id: str) -> str:
    master = nbformat.read(course.SOLUTIONS / "a1_noise_mlp" / "noise_mlp.ipynb", as_version=4)
    cell = next(c for c in master.cells if c.metadata["nbgrader"]["grade_id"] == cell_id)
    return MARKER.sub("", cell.source)


def test_student_sets_the_budget_writes_the_noise_and_the_keras_training_and_sees_checks_and_curves(student_lab,
                                                                                                       browser):
    """From the bundle: the student writes add_noise, the noisy sets, the MLP, compile/fit and the two trainings,
    runs the notebook from the top at the budget set in it, and sees each step's ✓, the noise grid and the curves."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{student_lab}/lab/tree/a1_noise_mlp/noise_mlp.ipynb?token={TOKEN}")
    cells = page.locator(".jp-Notebook .jp-Cell")
    cells.nth(20).wait_for(timeout=60_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", state="attached", timeout=60_000)
    answers = ((5, "add_noise"), (8, "apply_noise"), (12, "build_mlp"), (15, "compile_and_fit"),
               (18, "train_clean_noisy"))
    for index, cell_id in answers:  # the student writes the answers
        cells.nth(index).scroll_into_view_if_needed()
        cells.nth(index).locator(".cm-content").click()
        page.keyboard.press("Control+A")
        page.keyboard.insert_text(_answer(cell_id))
        page.keyboard.press("Escape")
    cells.nth(0).scroll_into_view_if_needed()
    cells.nth(0).click()
    page.keyboard.press("Escape")
    page.keyboard.press("a")  # a new cell above the first, as the student README says
    cells.nth(0).locator(".cm-content").click()
    page.keyboard.insert_text("%env NNLAB_BUDGET=smoke")
    page.keyboard.press("Escape")
    for _ in range(22):  # run cells 0..21 in order, as Shift+Enter does
        page.keyboard.press("Shift+Enter")
    image = cells.nth(10).locator(".jp-OutputArea-output img")
    image.wait_for(timeout=240_000)
    cells.nth(10).scroll_into_view_if_needed()
    cells.nth(10).screenshot(path=str(SHOTS / "student_noise_grid_cell.png"))
    assert image.bounding_box()["width"] > 300
    assert "Budget 'smoke'" in cells.nth(2).inner_text()  # the budget set in the notebook is the one used
    step_1 = cells.nth(7)
    step_1.scroll_into_view_if_needed()
    step_1.screenshot(path=str(SHOTS / "student_step1_passed.png"))
    assert "\u2713 Step 1, add_noise: all checks passed." in step_1.inner_text()
    curves = cells.nth(20).locator(".jp-OutputArea-output img")
    curves.wait_for(timeout=300_000)
    trained = cells.nth(21)
    trained.locator("text=Clean and noisy models: all checks passed").wait_for(timeout=120_000)
    cells.nth(20).scroll_into_view_if_needed()
    cells.nth(20).screenshot(path=str(SHOTS / "student_training_curves.png"))
    assert curves.bounding_box()["width"] > 600
    assert "\u2713 Step 2, compile_and_fit: all checks passed." in cells.nth(17).inner_text()
    for index in (7, 17, 21):
        assert cells.nth(index).locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    page.close()


def test_formgrader_lists_the_assignments(lab, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{lab}/formgrader/manage_assignments?token={TOKEN}")
    page.wait_for_selector("text=a1_noise_mlp", timeout=60_000)
    page.screenshot(path=str(SHOTS / "formgrader.png"))
    text = page.inner_text("body")
    for assignment in course.assignments():
        assert assignment in text
    page.close()


def _wait_until_saved(out: Path, seconds: float) -> bool:
    """Whether the written answer's score and comment reach the class gradebook within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with course.gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
            grade = gb.find_grade("answer_clean_vs_noisy", "noise_mlp", "a1_noise_mlp", "ada")
            comment = gb.find_comment("answer_clean_vs_noisy", "noise_mlp", "a1_noise_mlp", "ada")
            if grade.manual_score is not None and comment.manual_comment:
                return True
        time.sleep(0.5)
    return False


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    from autograder import examples
    from tests.grading import run_cli

    root = tmp_path_factory.mktemp("term")
    examples.write_submission(root / "subs", "ada", "a1_noise_mlp",
                              examples.notebook_path("a1_noise_mlp", solution=False).read_text())
    graded = run_cli("grade", str(root / "subs"), "--out", str(root / "out"))
    assert graded.returncode == 0, graded.stderr[-2000:]
    return root / "out"


def test_instructor_grades_a_written_answer_in_formgrader(graded_class, browser):
    from tests.grading import run_cli

    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "autograder", "formgrader", "--out", str(graded_class),
                               "--port", str(port), "--token", TOKEN], cwd=course.REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        url = _wait_until_serving(server, port)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/login?next=/formgrader/gradebook/a1_noise_mlp/noise_mlp")  # log in as an instructor does
        page.fill("input#password_input", TOKEN)
        page.click("button#login_submit")
        page.locator("a.name-hidden", has_text="Submission #1").click(timeout=60_000)  # names hidden: blind grading
        score = page.locator("input#answer_clean_vs_noisy")
        score.wait_for(timeout=60_000)
        assert "Grader's rubric. (2 points)" in page.inner_text("body")  # shown under the answer to grade
        page.wait_for_load_state("networkidle")  # formgrader binds its save handlers once grades are loaded
        comment = page.locator("textarea#answer_clean_vs_noisy-comment")
        for _ in range(3):  # a busy machine may still be binding them: type again until saved
            score.fill("1.5")
            score.press("Tab")
            comment.fill("Right direction; say why noise hurts less on the training set.")
            comment.press("Tab")
            if _wait_until_saved(graded_class, seconds=20):  # both save on change, through formgrader's REST API
                break
        else:
            pytest.fail("formgrader did not save the score and the comment")
        page.screenshot(path=str(SHOTS / "formgrader_manual_grade.png"))
        page.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    with pytest.raises(OSError):  # stopping the command stops the server: nothing is left behind
        urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
    exported = run_cli("export", "--out", str(graded_class))
    assert exported.returncode == 0
    assert ",a1_noise_mlp,1.5,20.0,0.0,15.0," in (graded_class / "export.csv").read_text()
    assert run_cli("feedback", "--out", str(graded_class)).returncode == 0
    page = (graded_class / "feedback" / "ada" / "a1_noise_mlp" / "noise_mlp.html").read_text()
    assert "say why noise hurts less on the training set" in page and "Score: 1.5 / 20.0" in page
    assert "rubric" not in page.lower()  # the rubric shown to the grader never reaches the student
