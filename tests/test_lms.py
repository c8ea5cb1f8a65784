"""LMS exports against golden files written from each LMS's documented import columns.

Canvas (gradebook import): Student, ID, SIS User ID, SIS Login ID, Section, one column per assignment,
a "Points Possible" row. Moodle ("Import grades: CSV file"): identity columns to map (ID number or email
address), one column per grade item. Golden files are in tests/golden/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.lms import LmsFormat, Missing, RosterError, lms_rows, read_roster, write_rows
from autograder.results import Scores

GOLDEN = Path(__file__).parent / "golden"
ASSIGNMENTS = ["a1_noise_mlp", "a2_depth_bn_dropout"]
SCORES = {("ada", "a1_noise_mlp"): Scores(15.5, 18, 13, 13, False),
          ("ada", "a2_depth_bn_dropout"): Scores(9, 11, 8, 8, True),
          ("ben", "a1_noise_mlp"): Scores(0, 18, 0, 13, True),
          ("zoe", "a1_noise_mlp"): Scores(12, 18, 12, 13, True)}  # graded, but not in the roster
ROSTER = """student_id,name,email,lms_id
ada,Ada Lovelace,ada@example.edu,1001
ben,Ben Okafor,ben@example.edu,1002
cleo,Cleo de Merode,cleo@example.edu,1003
"""


@pytest.fixture()
def roster(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER)
    return read_roster(path)


@pytest.mark.parametrize("fmt, missing", [(LmsFormat.CANVAS, Missing.ZERO), (LmsFormat.MOODLE, Missing.BLANK),
                                          (LmsFormat.CSV, Missing.ZERO)])
def test_exports_match_the_golden_files(tmp_path, roster, fmt, missing):
    rows, unknown = lms_rows(SCORES, ASSIGNMENTS, roster, fmt, missing)
    write_rows(rows, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text() == (GOLDEN / f"{fmt.value}-{missing.value}.csv").read_text()
    assert unknown == ["zoe"]  # reported by the CLI; in the plain CSV also kept as a row


def test_unusable_rosters_are_refused_with_a_reason(tmp_path):
    (tmp_path / "bad.csv").write_text("id,name\nada,Ada\n")
    with pytest.raises(RosterError, match="lacks the column"):
        read_roster(tmp_path / "bad.csv")
    (tmp_path / "twice.csv").write_text(ROSTER + "ada,Ada Again,a2@example.edu,1009\n")
    with pytest.raises(RosterError, match="more than once: ada"):
        read_roster(tmp_path / "twice.csv")
    with pytest.raises(RosterError, match="not found"):
        read_roster(tmp_path / "none.csv")
