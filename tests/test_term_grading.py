"""A term through the real grader: due dates, late penalties in every output, an extension and a waiver."""

from __future__ import annotations

import csv
import datetime as dt
import os

import pytest

from autograder import examples
from autograder.submissions import write_timestamp
from tests.grading import copy_of_the_kit, grades, run_cli

pytestmark = pytest.mark.slow
A1 = "a1_noise_mlp"
DUE = dt.datetime(2027, 2, 5, 23, 59, tzinfo=dt.timezone.utc)
COURSE = """\
time_zone = "UTC"
roster = "roster.csv"

[due]
a1_noise_mlp = 2027-02-05T23:59:00

[late_policy]
deduction_percent = 5       # of 20 points: 1 point per day begun
interval = "day"
grace_minutes = 5

[[extension]]
student = "ext"
assignment = "a1_noise_mlp"
days = 2
"""
# handed in through the exchange this long after the due date (negative: before it)
EXCHANGE = {"ontime": -dt.timedelta(hours=1), "grace": dt.timedelta(minutes=3), "hours": dt.timedelta(hours=3),
            "days": dt.timedelta(days=1, hours=2), "ext": dt.timedelta(days=2, hours=1)}
# raw score 3 (add_noise only); penalty; late_by
EXPECTED = {"ontime": (3, 0, ""), "grace": (3, 0, "3 min"), "hours": (3, 1, "3 h"), "days": (3, 2, "1 d 2 h"),
            "ext": (3, 1, "1 h"), "hopperg": (3, 1, "5 h"), "undated": (3, 0, "")}


def _only_add_noise():
    solution = next(c.source for c in examples.solved(A1).cells
                    if c.metadata.get("nbgrader", {}).get("grade_id") == "add_noise")
    return examples.mutate(examples.released(A1), "add_noise", solution)


def _cli(kit, *args):
    """The CLI in the instructor's copy of the kit, with its course.toml."""
    return run_cli(*args, repo=kit, env={"NNLAB_COURSE_FILE": str(kit / "course.toml")})


def _rows(path):
    with path.open() as handle:
        return list(csv.reader(handle))


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    root = tmp_path_factory.mktemp("term")
    kit = copy_of_the_kit(root / "kit")
    (kit / "course.toml").write_text(COURSE)
    (kit / "roster.csv").write_text("student_id,name,email,lms_id\n" + "".join(
        f"{s},{s.title()} Student,{s}@example.org,{i}\n" for i, s in enumerate(EXPECTED, start=100)))
    subs, out = root / "subs", root / "out"
    for student, late in EXCHANGE.items():
        folder = examples.write_submission(subs, student, A1, _only_add_noise()).parent
        write_timestamp(folder, DUE + late)
    examples.write_submission(subs, "undated", A1, _only_add_noise())
    download = root / "canvas"
    download.mkdir()
    canvas = download / "hopperg_LATE_77_901_noise_mlp.ipynb"
    examples.write_submission(root / "tmp", "x", A1, _only_add_noise()).replace(canvas)
    os.utime(canvas, ((DUE + dt.timedelta(hours=5)).timestamp(),) * 2)
    collected = _cli(kit, "collect", str(download), str(subs))
    assert "handed in 2027-02-06 04:59:00 UTC (file modification time)" in collected.stdout, collected.stdout

    refused = _cli(kit, "grade", str(subs), "--out", str(out))
    assert refused.returncode == 2 and "undated/a1_noise_mlp" in refused.stderr and "--undated" in refused.stderr
    graded = _cli(kit, "grade", str(subs), "--out", str(out), "--undated", "on-time", "--workers", "2")
    assert graded.returncode == 0, graded.stderr[-3000:]
    return kit, subs, out


def test_the_penalty_is_applied_once_and_shown_in_grades_export_report_and_feedback(term):
    kit, _, out = term
    rows = grades(out)
    for student, (raw, penalty, late_by) in EXPECTED.items():
        row = rows[(student, A1)]
        assert (float(row["raw_score"]), float(row["late_penalty"]), row["late_by"]) == (raw, penalty, late_by), row
        assert float(row["score"]) == raw - penalty
    assert rows[("undated", A1)]["submitted_at"] == "" and rows[("ontime", A1)]["submitted_at"].startswith("2027-02-05")

    assert _cli(kit, "export", "--out", str(out), "--format", "canvas", "--roster",
                str(kit / "roster.csv")).returncode == 0
    canvas = {r[2]: r[5] for r in _rows(out / "export-canvas.csv")[2:]}
    assert canvas == {s: f"{raw - penalty:g}" for s, (raw, penalty, _) in EXPECTED.items()}

    report = (out / "report" / "index.html").read_text()
    assert "2 / 20 (3 &minus; 1, late 3 h)" in report
    assert "5 submission(s) late, 4 of them with a penalty; 1 of an assignment with a due date without" in report
    page = (out / "feedback" / "hours" / A1 / "noise_mlp.html").read_text()
    assert "Submitted late." in page and "3 h after the due date" in page and "Late submission penalty" in page
    assert "Submitted late." not in (out / "feedback" / "ontime" / A1 / "noise_mlp.html").read_text()


def test_a_waiver_and_an_extension_regrade_that_student_only_and_survive_regrading(term):
    kit, subs, out = term
    before = grades(out)
    (kit / "course.toml").write_text(COURSE + '\n[[waiver]]\nstudent = "days"\nassignment = "a1_noise_mlp"\n')
    waived = _cli(kit, "grade", str(subs), "--out", str(out), "--undated", "on-time")
    assert waived.returncode == 0 and "[1/1] days/" in waived.stdout, waived.stdout
    assert float(grades(out)[("days", A1)]["late_penalty"]) == 0

    (kit / "course.toml").write_text((kit / "course.toml").read_text() +
                                     '\n[[extension]]\nstudent = "hours"\nassignment = "a1_noise_mlp"\ndays = 1\n')
    regraded = _cli(kit, "grade", str(subs), "--out", str(out), "--undated", "on-time", "--no-resume",
                       "--students", "hours,days")
    assert regraded.returncode == 0 and "[2/2]" in regraded.stdout and "ontime/" not in regraded.stdout
    after = grades(out)
    assert float(after[("hours", A1)]["late_penalty"]) == 0 and float(after[("days", A1)]["late_penalty"]) == 0
    assert {k: v for k, v in after.items() if k[0] not in ("hours", "days")} == {
        k: v for k, v in before.items() if k[0] not in ("hours", "days")}
