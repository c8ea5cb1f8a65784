"""The course file: due dates, the late policy (Canvas' rules), extensions, waivers, and the errors it stops on."""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from pathlib import Path

import pytest

from autograder import examples
from autograder.submissions import Outcome, Submission, collect, read_timestamp, write_timestamp
from autograder.results import describe_late
from autograder.term import Deadline, LatePolicy, TermError, Undated, deadlines, read_term

A1, A2 = "a1_noise_mlp", "a2_depth_bn_dropout"
UTC = dt.timezone.utc
HOUR, DAY = 3600, 86400

COURSE = """\
time_zone = "Europe/Berlin"
roster = "roster.csv"

[due]
a1_noise_mlp = 2027-02-05T23:59:00          # Berlin time: 22:59 UTC
a2_depth_bn_dropout = 2027-02-19T12:00:00Z

[late_policy]
deduction_percent = 10
interval = "day"
grace_minutes = 5
max_deduction_percent = 30
lowest_grade_percent = 50
missing = "blank"

[[extension]]
student = "ada"
assignment = "a1_noise_mlp"
days = 2

[[extension]]
student = "bob"
assignment = "a2_depth_bn_dropout"
due = 2027-02-20T09:00:00+00:00

[[waiver]]
student = "carl"
assignment = "a1_noise_mlp"
"""


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "roster.csv").write_text("student_id,name,email,lms_id\nada,A,a@x,1\nbob,B,b@x,2\ncarl,C,c@x,3\n"
                                         "dan,D,d@x,4\n")
    path = tmp_path / "course.toml"
    path.write_text(text)
    return path


def test_a_late_score_loses_a_share_of_the_points_per_day_begun_within_the_cap_and_floor():
    policy = LatePolicy(deduction_percent=10, interval="day", grace_minutes=5, max_deduction_percent=30,
                        lowest_grade_percent=50)
    assert policy.penalty(18, 20, 0) == 0
    assert policy.penalty(18, 20, 4 * 60) == 0  # within the grace period
    assert policy.penalty(18, 20, 10 * 60) == 2  # ten minutes: the first day begun, 10 % of 20 points
    assert policy.penalty(18, 20, DAY + HOUR) == 4  # two days begun
    assert policy.penalty(20, 20, 9 * DAY) == 6  # at most 30 %
    assert policy.penalty(12, 20, 2 * DAY) == 2  # not below the lowest grade, 10 points
    assert policy.penalty(9, 20, 2 * DAY) == 0  # a score at or below it is not cut
    assert LatePolicy(deduction_percent=5, interval="hour").penalty(20, 20, 2.5 * HOUR) == 3


def test_the_course_file_gives_due_dates_in_utc_extensions_and_waivers(tmp_path):
    term = read_term(_write(tmp_path, COURSE))
    assert term.due[A1] == dt.datetime(2027, 2, 5, 22, 59, tzinfo=UTC)
    assert term.due[A2] == dt.datetime(2027, 2, 19, 12, 0, tzinfo=UTC)
    assert term.policy == LatePolicy(10, "day", 5, 30, 50, "blank")
    three_days_late = dt.datetime(2027, 2, 8, 22, 0, tzinfo=UTC)
    ada = term.deadline("ada", A1, three_days_late)  # two days more: one day late
    assert ada.extended_to == dt.datetime(2027, 2, 7, 22, 59, tzinfo=UTC) and ada.penalty(20, 20) == 2
    assert term.deadline("dan", A1, three_days_late).penalty(20, 20) == 6
    assert term.deadline("carl", A1, three_days_late).penalty(20, 20) == 0  # waived
    assert term.deadline("bob", A2, dt.datetime(2027, 2, 20, 8, 0, tzinfo=UTC)).seconds_late == 0
    assert term.deadline("dan", A2, None).seconds_late == 0
    again = Deadline.from_dict(ada.to_dict())
    assert again == ada and again.fingerprint() == ada.fingerprint() != term.deadline("dan", A1, None).fingerprint()
    assert term.deadline("dan", "a3_cifar_cnn", three_days_late).fingerprint() == ""  # no due date: no part in it
    assert read_term(tmp_path / "absent.toml").due == {}


@pytest.mark.parametrize("change, message", [
    (("a1_noise_mlp = 2027-02-05T23:59:00", "a1_noise_mlp = 2027-02-30T23:59:00"), "course.toml: "),
    (("a1_noise_mlp = 2027-02-05T23:59:00", "a1_noise_mlp = 2027-02-05"),
     "course.toml line 5: 2027-02-05 has no time of day; write it as 2027-02-05T23:59:00"),
    (("a1_noise_mlp = 2027-02-05T23:59:00", "a1_noise_mlp = \"Friday\""), "course.toml line 5: 'Friday' is not a"),
    (("a1_noise_mlp =", "a4_gan ="), "course.toml line 5: unknown assignment 'a4_gan'"),
    (('interval = "day"', 'interval = "week"'), 'course.toml line 10: interval = \'week\' must be "day" or "hour"'),
    (("deduction_percent = 10", "deduction_percent = 150"), "course.toml line 9: deduction_percent = 150 must be"),
    (("grace_minutes", "grace"), "course.toml line 11: [late_policy] has no setting 'grace'"),
    (('student = "bob"', 'student = "bobby"'), "course.toml line 21 ([[extension]] number 2): unknown student 'bobby'"),
    (('time_zone = "Europe/Berlin"', 'time_zone = "Mars/Olympus"'), "course.toml line 1: unknown time_zone"),
    (("days = 2", "days = 2\ndue = 2027-02-07T23:59:00"), "give either due = <date and time> or days = <number>"),
    (('roster = "roster.csv"', 'roster = "class.csv"'), "course.toml line 2: roster "),
])
def test_a_wrong_entry_stops_with_its_line(tmp_path, change, message):
    with pytest.raises(TermError) as raised:
        read_term(_write(tmp_path, COURSE.replace(*change)))
    assert message in str(raised.value)


def test_a_submission_without_a_known_time_is_never_silently_on_time(tmp_path):
    term = read_term(_write(tmp_path, COURSE))
    folder = tmp_path / "subs" / "dan" / A1
    folder.mkdir(parents=True)
    (folder / "noise_mlp.ipynb").write_text("{}")
    os.utime(folder / "noise_mlp.ipynb", (dt.datetime(2027, 2, 6, 1, 0, tzinfo=UTC).timestamp(),) * 2)
    undated = Submission("dan", A1, folder, None)
    with pytest.raises(TermError, match="1 submission.* no known time .*dan/a1_noise_mlp.*--undated on-time"):
        deadlines([undated], term, None)
    assert deadlines([undated], term, Undated.ON_TIME)[undated].seconds_late == 0
    assert deadlines([undated], term, Undated.FILE_TIME)[undated].seconds_late == 2 * HOUR + 60
    no_due = Submission("dan", "a3_cifar_cnn", folder, None)
    assert deadlines([no_due], term, None)[no_due].seconds_late == 0  # no due date: nothing to ask


def test_lateness_in_words():
    assert [describe_late(s) for s in (30, 4 * 60, 5 * HOUR + 12 * 60, 2 * DAY + 3 * HOUR + 59)] == [
        "1 min", "4 min", "5 h 12 min", "2 d 3 h"]


def test_collect_records_each_submissions_time_and_where_it_came_from(tmp_path):
    notebooks = {A1: ["noise_mlp"], A2: ["depth_bn_dropout"], "a3_cifar_cnn": ["cifar_cnn"]}
    source = tmp_path / "download"
    exchange = source / "ada" / A1  # nbgrader's exchange: the notebook and its timestamp.txt
    exchange.mkdir(parents=True)
    (exchange / "noise_mlp.ipynb").write_text(examples.notebook_path(A1).read_text())
    (exchange / "timestamp.txt").write_text("2027-02-05 23:30:00.123456 UTC")
    canvas = source / "hopperg_LATE_77_901_noise_mlp.ipynb"
    canvas.write_text(examples.notebook_path(A1).read_text())
    os.utime(canvas, (dt.datetime(2027, 2, 6, 3, 0, tzinfo=UTC).timestamp(),) * 2)
    entries = {e.source: e for e in collect(source, tmp_path / "subs", notebooks)}
    assert entries["ada/a1_noise_mlp/timestamp.txt"].outcome is Outcome.TIME
    ada = entries["ada/a1_noise_mlp/noise_mlp.ipynb"]
    assert (ada.submitted_at, ada.time_source) == ("2027-02-05 23:30:00 UTC", "nbgrader exchange timestamp.txt")
    assert (tmp_path / "subs" / "ada" / A1 / "timestamp.txt").read_text() == "2027-02-05 23:30:00.123456 UTC"
    hopper = entries["hopperg_LATE_77_901_noise_mlp.ipynb"]
    assert (hopper.submitted_at, hopper.time_source) == ("2027-02-06 03:00:00 UTC", "file modification time")
    assert "Canvas marked it late" in hopper.reason
    assert read_timestamp(tmp_path / "subs" / "hopperg" / A1) == dt.datetime(2027, 2, 6, 3, 0, tzinfo=UTC)

    archive = tmp_path / "moodle.zip"  # a zip records local times without a zone: read in the course's
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(zipfile.ZipInfo("Grace Hopper_77_assignsubmission_file_/noise_mlp.ipynb",
                                    date_time=(2027, 2, 6, 0, 30, 0)), examples.notebook_path(A1).read_text())
    from zoneinfo import ZoneInfo

    zipped = [e for e in collect(archive, tmp_path / "subs2", notebooks, zone=ZoneInfo("Europe/Berlin"))
              if e.outcome is Outcome.COLLECTED][0]
    assert (zipped.submitted_at, zipped.time_source) == ("2027-02-05 23:30:00 UTC", "time recorded in the zip")


def test_a_timestamp_that_is_not_a_time_is_no_time(tmp_path):
    (tmp_path / "timestamp.txt").write_text("yesterday, honest")
    assert read_timestamp(tmp_path) is None
    write_timestamp(tmp_path, dt.datetime(2027, 1, 1, 12, 0, tzinfo=UTC))
    assert read_timestamp(tmp_path) == dt.datetime(2027, 1, 1, 12, 0, tzinfo=UTC)


def test_nnlab_course_file_names_another_course_file(tmp_path, monkeypatch):
    monkeypatch.setenv("NNLAB_COURSE_FILE", str(_write(tmp_path, COURSE)))
    assert read_term().due[A1] == dt.datetime(2027, 2, 5, 22, 59, tzinfo=UTC)
    monkeypatch.setenv("NNLAB_COURSE_FILE", str(tmp_path / "typo.toml"))
    with pytest.raises(TermError, match="typo.toml is not a file: unset it to use course.toml"):
        read_term()
