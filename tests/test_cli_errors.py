"""One place turns errors into messages and exit codes: what the user can fix is 2, the grader's own failure 3."""

from __future__ import annotations

import pytest

from autograder import cli
from autograder.errors import CannotRun, GraderFailed


def test_each_error_is_one_of_the_two_kinds():
    from autograder.check import NotAnAssignment
    from autograder.gradebook import GradebookUnavailable
    from autograder.launcher import LauncherFailed
    from autograder.lifetime import OutInUse
    from autograder.lms import RosterError
    from autograder.release import ReleaseError
    from autograder.sandboxes import SandboxUnavailable
    from autograder.settings import SettingsError
    from autograder.term import TermError
    from autograder.verify.coverage import MissingChecks
    from autograder.verify.probe import ProbeNotRun
    from autograder.verify.rescue import RescueNotRun
    from autograder.verify.service import VerifierUnavailable
    from autograder.verify.verification import VerificationFailed
    from autograder.walkthrough import StaleRun

    for kind in (NotAnAssignment, OutInUse, RosterError, SandboxUnavailable, SettingsError, TermError, MissingChecks,
                 StaleRun):
        assert issubclass(kind, CannotRun) and not issubclass(kind, GraderFailed), kind
    for kind in (GradebookUnavailable, LauncherFailed, ReleaseError, ProbeNotRun, RescueNotRun, VerifierUnavailable,
                 VerificationFailed):
        assert issubclass(kind, GraderFailed) and not issubclass(kind, CannotRun), kind


@pytest.mark.parametrize("error, code, message", [
    (CannotRun("no dataset mirror: pass --data-dir"), 2, "error: no dataset mirror: pass --data-dir"),
    (FileNotFoundError("out/gradebook.db does not exist: run `grade` first"), 2, "error: out/gradebook.db does not"),
    (GraderFailed("cannot open the class gradebook"), 3, "error: the grader failed: cannot open the class gradebook"),
])
def test_main_says_what_went_wrong_and_exits_with_its_code(monkeypatch, capsys, tmp_path, error, code, message):
    def fails(args):
        raise error

    monkeypatch.setattr(cli, "_report", fails)
    assert cli.main(["report", "--out", str(tmp_path)]) == code
    assert capsys.readouterr().err.startswith(message)


def test_a_real_command_with_unusable_input(capsys, tmp_path):
    assert cli.main(["clean", str(tmp_path / "absent")]) == 2
    assert "is not a folder: pass the --out folder of `grade`" in capsys.readouterr().err
    assert cli.main(["walkthrough", "--record", "a9_unknown"]) == 2
    assert "unknown assignment(s) ['a9_unknown']" in capsys.readouterr().err
