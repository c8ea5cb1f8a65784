"""Find and take in submissions: ``<student>/<assignment>/<notebook>.ipynb`` folders, flat LMS files, zips."""

from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,99}$")


@dataclass(frozen=True)
class Submission:
    """One student's folder for one assignment."""

    student: str
    assignment: str
    folder: Path

    @property
    def key(self) -> str:
        return f"{self.student}__{self.assignment}"


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
                found.append(Submission(student_dir.name, assignment_dir.name, assignment_dir))
            elif not assignment_dir.name.startswith("."):
                skipped.append(f"skipped {student_dir.name}/{assignment_dir.name}: unknown assignment")
    return found, skipped


def _safe_extract(archive: Path, target: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        for member in zf.infolist():
            destination = (target / member.filename).resolve()
            if not destination.is_relative_to(target.resolve()):
                raise ValueError(f"{archive}: unsafe path {member.filename!r} in zip")
        zf.extractall(target)


# LMS downloads, e.g. "alice_a1_noise_mlp_noise_mlp.ipynb" or "alice--noise_mlp.ipynb"
def collect(source: Path, dest: Path, notebooks: dict[str, list[str]]) -> list[str]:
    """Copy submissions from a folder (nested or flat) or a zip into ``dest/<student>/<assignment>/``.

    ``notebooks`` maps assignment id -> notebook names (without ``.ipynb``). Returns log lines.
    """
    log: list[str] = []
    if source.is_file() and source.suffix == ".zip":
        unpacked = dest.parent / f".unzipped-{source.stem}"
        shutil.rmtree(unpacked, ignore_errors=True)
        unpacked.mkdir(parents=True)
        _safe_extract(source, unpacked)
        source = unpacked
    owner = {name: a for a, names in notebooks.items() for name in names}
    for path in sorted(source.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        relative = path.relative_to(source).parts
        if len(relative) >= 3 and relative[-2] in notebooks:
            student, assignment = relative[-3], relative[-2]
        else:
            match = next(((name, a) for name, a in owner.items() if path.stem.endswith(name)), None)
            student = path.stem[: len(path.stem) - len(match[0])].rstrip("_-. ").split("_")[0] if match else ""
            if not match or not student:
                log.append(f"skipped {path.name}: cannot tell student and notebook from the name")
                continue
            assignment = match[1]
            path_name = f"{match[0]}.ipynb"
            target = dest / student / assignment / path_name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            log.append(f"{path.name} -> {target.relative_to(dest)}")
            continue
        if not SAFE_ID.match(student):
            log.append(f"skipped {path}: {student!r} is not a valid student id")
            continue
        target = dest / student / assignment / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        log.append(f"{'/'.join(relative)} -> {target.relative_to(dest)}")
    return log
