"""Find and take in submissions: ``<student>/<assignment>/<notebook>.ipynb`` folders, flat LMS files, zips."""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import shutil
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path

from autograder.errors import CannotRun

SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,99}$")
TIMESTAMP_FILE = "timestamp.txt"  # nbgrader's: written by its exchange at submission, and by ``collect``


@dataclass(frozen=True)
class Submission:
    """One student's folder for one assignment, and when it was handed in (UTC; None when unknown)."""

    student: str
    assignment: str
    folder: Path
    submitted: dt.datetime | None = None


def read_timestamp(folder: Path) -> dt.datetime | None:
    """The time in ``folder/timestamp.txt`` as UTC (nbgrader's format, or any ISO time); None if absent or unreadable."""
    path = folder / TIMESTAMP_FILE
    if not path.is_file() or path.is_symlink() or path.stat().st_size > 4096:
        return None
    from nbgrader.utils import parse_utc

    try:
        return parse_utc(path.read_text(errors="replace").strip()).replace(tzinfo=dt.timezone.utc)
    except (ValueError, OverflowError, TypeError):
        return None


def write_timestamp(folder: Path, when: dt.datetime) -> None:
    """``folder/timestamp.txt`` in nbgrader's format, in UTC."""
    text = when.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    (folder / TIMESTAMP_FILE).write_text(text + "\n")


def discover(root: Path, assignments: list[str]) -> tuple[list[Submission], list[str]]:
    """Submissions under ``root/<student>/<assignment>/``, and warnings about what was skipped."""
    found, skipped = [], []
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder of submissions (<student>/<assignment>/<notebook>.ipynb)")
    for student_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if not SAFE_ID.match(student_dir.name):
            skipped.append(f"skipped folder {student_dir.name!r}: not a valid student id")
            continue
        for assignment_dir in sorted(p for p in student_dir.iterdir() if p.is_dir()):
            if assignment_dir.name in assignments:
                found.append(Submission(student_dir.name, assignment_dir.name, assignment_dir,
                                        read_timestamp(assignment_dir)))
            elif not assignment_dir.name.startswith("."):
                skipped.append(f"skipped {student_dir.name}/{assignment_dir.name}: unknown assignment")
    return found, skipped


class Outcome(str, Enum):
    """What ``collect`` did with one input file."""

    COLLECTED = "collected"
    SUPERSEDED = "superseded"  # an older attempt of a notebook collected from a newer file
    TIME = "time"  # nbgrader's timestamp.txt beside a notebook: read as its submission time
    REJECTED = "rejected"


class TimeSource(str, Enum):
    """Where ``collect`` read a submission's time, best first."""

    EXCHANGE = "nbgrader exchange timestamp.txt"
    ZIP = "time recorded in the zip"
    FILE = "file modification time"


@dataclass(frozen=True)
class CollectEntry:
    """One input file and what became of it."""

    source: str
    outcome: Outcome
    student: str = ""
    assignment: str = ""
    notebook: str = ""
    reason: str = ""
    submitted_at: str = ""  # UTC, of a collected notebook's submission
    time_source: str = ""


REPORT_NAME = "collect-report.csv"
ATTEMPT_SUFFIX = re.compile(r"(?:-(\d+)| \((\d+)\))$")  # Canvas resubmissions "-1", browser copies " (1)"
CANVAS_PREFIX = re.compile(r"^(?P<name>[^_]+?)(?:_LATE)?_\d+_\d+$")  # lastnamefirstname[_LATE]_userid_submissionid
MOODLE_PREFIX = re.compile(r"^(?P<name>.+?)_\d+_assignsubmission_(?:file|onlinetext)_?$")  # Full Name_123_assignsub...


def normalise_id(text: str) -> str:
    """A student id from an LMS name: accents dropped, spaces and other characters ``_``; ``''`` if nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9_.@+-]+", "_", ascii_text.strip()).strip("_.-+@")
    return cleaned[:100] if SAFE_ID.match(cleaned[:100] or "-") else ""


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _attempt(stem: str) -> tuple[str, int]:
    """The stem without a resubmission suffix, and the attempt number (0 when none)."""
    match = ATTEMPT_SUFFIX.search(stem)
    return (stem[:match.start()], int(match.group(1) or match.group(2))) if match else (stem, 0)


def _student_from_prefix(prefix: str) -> str:
    prefix = prefix.strip(" _-.")
    for pattern in (CANVAS_PREFIX, MOODLE_PREFIX):
        match = pattern.match(prefix)
        if match:
            return normalise_id(match.group("name"))
    return normalise_id(prefix)


def _ends_with_name(stem: str, name: str) -> re.Match | None:
    """Where ``stem`` ends in the notebook ``name`` (case, spaces and hyphens ignored)."""
    return re.search(r"[\W_]*".join(map(re.escape, name.split("_"))) + r"$", stem, re.I)


def _identify(relative: tuple[str, ...], notebooks: dict[str, list[str]]) -> tuple[str, str, str, int] | str:
    """(student, assignment, notebook, attempt) of a notebook file, or the reason it cannot be told."""
    stem, attempt = _attempt(Path(relative[-1]).stem)
    if len(relative) >= 3 and relative[-2] in notebooks:  # <student>/<assignment>/<notebook>.ipynb
        name = next((n for n in notebooks[relative[-2]] if _key(n) == _key(stem)), None)
        if name is None:
            return f"{relative[-1]} is not a notebook of {relative[-2]} (expected {', '.join(notebooks[relative[-2]])})"
        student = normalise_id(relative[-3])
        return (student, relative[-2], name, attempt) if student else f"{relative[-3]!r} cannot be made a student id"
    found = next(((a, n) for a, names in notebooks.items() for n in sorted(names, key=len, reverse=True)
                  if _ends_with_name(stem, n)), None)
    if found is None:
        expected = ", ".join(f"{n}.ipynb" for names in notebooks.values() for n in names)
        return f"not one of this course's notebooks (expected a name ending in one of: {expected})"
    assignment, name = found
    prefix = stem[:_ends_with_name(stem, name).start()]
    if not prefix.strip(" _-.") and len(relative) >= 2:  # Moodle folder per student: "<Name>_<id>_assignsubmission_file_/"
        prefix = relative[-2]
    student = _student_from_prefix(prefix)
    if not student:
        return f"cannot tell whose notebook this is: name it <student>_{name}.ipynb or put it in <student>/{assignment}/"
    return student, assignment, name, attempt


def _rejection(path: Path, relative: tuple[str, ...]) -> str:
    """Why a file is not a candidate notebook at all ('' when it is one)."""
    if ".ipynb_checkpoints" in relative:
        return "Jupyter checkpoint copy (the notebook itself is collected instead)"
    if any(part.startswith(".") or part == "__MACOSX" for part in relative):
        return "hidden or system file"
    if path.is_symlink():
        return "symbolic link (hand in the notebook itself)"
    if path.suffix.lower() != ".ipynb":
        return f"not a notebook ({path.suffix or 'no extension'}); only .ipynb files are graded"
    return ""


def collect(source: Path, dest: Path, notebooks: dict[str, list[str]],
            zone: dt.tzinfo = dt.timezone.utc) -> list[CollectEntry]:
    """Copy submissions from a folder (nested, flat LMS downloads, Moodle folders) or a zip into ``dest``.

    Every input file ends up in the returned list, and in ``dest/collect-report.csv``: collected
    (as which student, assignment and notebook, and when it was handed in), superseded by a newer
    attempt, read as a submission time, or rejected with a reason. ``notebooks`` maps assignment id ->
    notebook names (without ``.ipynb``). Each collected submission gets nbgrader's ``timestamp.txt``:
    the exchange's own where there is one, else the zip's recorded time (read in ``zone``), else the
    file's modification time.
    """
    with tempfile.TemporaryDirectory(prefix="nnlab-collect-") as tmp:
        time_source = TimeSource.FILE
        if source.is_file() and source.suffix.lower() == ".zip":
            _safe_extract(source, Path(tmp), zone)
            source, time_source = Path(tmp), TimeSource.ZIP
        elif not source.is_dir():
            raise FileNotFoundError(f"{source} is neither a folder nor a .zip of submissions")
        entries, candidates = [], {}
        for path in sorted(p for p in source.rglob("*") if p.is_file() or p.is_symlink()):
            relative = path.relative_to(source).parts
            shown = "/".join(relative)
            if path.name == TIMESTAMP_FILE and not path.is_symlink() and any(path.parent.glob("*.ipynb")):
                entries.append(CollectEntry(shown, Outcome.TIME, reason="the submission time of the notebooks "
                                                                        "beside it (nbgrader's exchange)"))
                continue
            identified = _rejection(path, relative) or _identify(relative, notebooks)
            if isinstance(identified, str):
                entries.append(CollectEntry(shown, Outcome.REJECTED, reason=identified))
                continue
            student, assignment, name, attempt = identified
            candidates.setdefault((student, assignment, name), []).append((attempt, path.stat().st_mtime, shown, path))
        chosen: dict[tuple[str, str], list[Path]] = {}
        for (student, assignment, name), files in sorted(candidates.items()):
            files.sort(key=lambda f: (f[0], f[1], f[2]))
            *older, (_, _, newest, path) = files
            target = dest / student / assignment / f"{name}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            chosen.setdefault((student, assignment), []).append(path)
            marked = "Canvas marked it late." if "_LATE_" in Path(newest).name else ""
            entries.append(CollectEntry(newest, Outcome.COLLECTED, student, assignment, name, reason=marked))
            entries += [CollectEntry(shown, Outcome.SUPERSEDED, student, assignment, name,
                                     reason=f"older attempt; {newest} was collected") for *_, shown, _ in older]
        times = {key: _record_time(paths, dest / key[0] / key[1], time_source) for key, paths in chosen.items()}
        entries = [replace(e, submitted_at=f"{times[(e.student, e.assignment)][0]:%Y-%m-%d %H:%M:%S} UTC",
                           time_source=times[(e.student, e.assignment)][1].value)
                   if e.outcome is Outcome.COLLECTED else e for e in entries]
    write_collect_report(sorted(entries, key=lambda e: e.source), dest / REPORT_NAME)
    return sorted(entries, key=lambda e: e.source)


def _record_time(paths: list[Path], target: Path, fallback: TimeSource) -> tuple[dt.datetime, TimeSource]:
    """Write ``target/timestamp.txt`` for the notebooks ``paths`` of one submission; return the time and its source.

    The exchange's file is copied as it is (nbgrader's ``release_feedback`` finds the student by its text)."""
    for path in paths:
        exchange = read_timestamp(path.parent)
        if exchange is not None:
            shutil.copy(path.parent / TIMESTAMP_FILE, target / TIMESTAMP_FILE)
            return exchange, TimeSource.EXCHANGE
    newest = dt.datetime.fromtimestamp(max(p.stat().st_mtime for p in paths), dt.timezone.utc)
    write_timestamp(target, newest)
    return newest, fallback


def write_collect_report(entries: list[CollectEntry], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source", "outcome", "student", "assignment", "notebook", "submitted_at", "time_source",
                         "reason"])
        for e in entries:
            writer.writerow([e.source, e.outcome.value, e.student, e.assignment, e.notebook, e.submitted_at,
                             e.time_source, e.reason])


def _safe_extract(archive: Path, target: Path, zone: dt.tzinfo) -> None:
    """Unzip refusing paths outside ``target``; files keep the zip's modification times, which a zip records
    without a time zone (read in ``zone``): they order attempts and are the submission times."""
    with zipfile.ZipFile(archive) as zf:
        for member in zf.infolist():
            destination = (target / member.filename).resolve()
            if not destination.is_relative_to(target.resolve()):
                raise CannotRun(f"{archive}: unsafe path {member.filename!r} in zip (refused: nothing was collected)")
        for member in zf.infolist():
            extracted = Path(zf.extract(member, target))
            stamp = dt.datetime(*member.date_time, tzinfo=zone).timestamp()
            os.utime(extracted, (stamp, stamp))
