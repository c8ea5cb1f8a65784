"""Every command the README and docs/ name runs: each ``python -m ...`` answers ``--help``, each ``make`` target
exists (``make -n``). Commands that do real work are run by the tests of what they do."""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import REPO

DOCUMENTS = [REPO / "README.md", REPO / "autograder" / "student_readme.md", *sorted((REPO / "docs").glob("*.md"))]
CODE = re.compile(r"```.*?```|`[^`\n]+`", re.S)  # fenced blocks and inline code: where a command is written
PYTHON_M = re.compile(r"python -m ([A-Za-z_][\w.]*)(?: ([a-z][a-z-]*))?")
MAKE = re.compile(r"(?<![\w-])make ([a-z][\w-]*)")


def documented(pattern: re.Pattern) -> set[tuple[str, ...]]:
    found = set()
    for document in DOCUMENTS:
        for code in CODE.findall(document.read_text()):
            found |= {m.groups() if m.lastindex and m.lastindex > 1 else (m.group(1),) for m in pattern.finditer(code)}
    return found


def subcommands(module: str) -> set[str]:
    if module != "autograder":
        return set()
    from autograder.cli import build_parser

    parser = build_parser()
    return set(next(a for a in parser._actions if a.dest == "command").choices)


def test_the_documents_name_commands():
    assert ("autograder", "grade") in documented(PYTHON_M) and ("test",) in documented(MAKE)


def help_of(module: str, sub: str | None) -> tuple[str, int, str]:
    command = [sys.executable, "-m", module, *([sub] if sub in subcommands(module) else []), "--help"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    return " ".join(command[1:]), done.returncode, done.stdout + done.stderr[-2000:]


def test_every_documented_python_command_answers_help():
    commands = sorted({(found[0], found[1] if len(found) > 1 else None) for found in documented(PYTHON_M)},
                      key=str)
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda c: help_of(*c), commands))
    failed = [(command, code, text[-500:]) for command, code, text in answers if code != 0 or "usage" not in text]
    assert not failed, failed


@pytest.mark.parametrize("target", sorted(t for (t,) in documented(MAKE)))
def test_every_documented_make_target_exists(target):
    targets = set(re.findall(r"^([a-z][\w-]*):", (REPO / "Makefile").read_text(), re.M))
    assert target in targets, f"`make {target}` is documented but the Makefile has no such target"
    dry = subprocess.run(["make", "-n", target], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0, dry.stderr
