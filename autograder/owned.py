"""Temporary folders named by the grading process that owns them, so that what a killed grader left can be found
(by :func:`autograder.lifetime.clean_stale`) once that process is gone."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

OWNED_FOLDER = "nnlab-{kind}-{pid}-"  # temporary folders of a grading process: its pid in the name
OWNED_ROOT = Path("/tmp")  # short paths: the folders hold Unix sockets (at most 107 bytes of path)
OWNER = re.compile(r"nnlab-(?:[a-z]+)-(?:verifier-)?(\d+)-")


def owned_folder(kind: str) -> Path:
    """A fresh temporary folder that :func:`autograder.lifetime.clean_stale` removes once this process is gone."""
    return Path(tempfile.mkdtemp(prefix=OWNED_FOLDER.format(kind=kind, pid=os.getpid()), dir=OWNED_ROOT))


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def owner(name: str) -> int | None:
    """The pid in the name of an owned folder (or of a control group named the same way)."""
    match = OWNER.match(name)
    return int(match.group(1)) if match else None
