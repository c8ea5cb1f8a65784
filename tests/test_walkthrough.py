"""`make walkthrough`: executes the masters and renders the self-study site (at the smoke budget here)."""

import re

import pytest

from autograder import course
from autograder.walkthrough import build

pytestmark = pytest.mark.slow


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
    assert text.count("+--") >= 3  # key result tables on the index page
