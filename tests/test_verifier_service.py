"""The warm verifier: one process per grading slot, restarted when it dies or hangs, never a student's grade."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

from autograder import course
from autograder.verify import service
from autograder.verify.judge import checks_for
from autograder.verify.service import VerifierService, VerifierUnavailable, request

GIB = 2**30


@pytest.fixture(scope="module")
def verifier(mirror):
    with VerifierService() as running:
        yield running


def test_it_writes_probe_inputs_once_and_copies_them(verifier, mirror, tmp_path):
    address = verifier.address(str(mirror), 4 * GIB)
    for folder in (tmp_path / "first", tmp_path / "second"):
        folder.mkdir()
        assert request(address, {"op": "inputs", "assignment": "a1_noise_mlp", "folder": str(folder)}) == {"written": True}
    from autograder.verify.a1_noise_mlp import inputs

    for name, expected in inputs().items():
        if isinstance(expected, np.ndarray):
            assert np.array_equal(np.load(tmp_path / "second" / f"{name}.npy"), expected)
        else:  # a Keras model the probe passes to a student's function
            import keras
            copied = keras.saving.load_model(tmp_path / "second" / f"{name}.keras", compile=False, safe_mode=True)
            assert all(np.array_equal(a, b) for a, b in zip(copied.get_weights(), expected.get_weights()))


@pytest.mark.parametrize("assignment", course.assignments())
def test_missing_artifacts_are_failed_checks_with_reasons(verifier, mirror, tmp_path, assignment):
    """Every check of every assignment runs (no check itself breaks) and fails with a reason on empty evidence."""
    answer = request(verifier.address(str(mirror), 4 * GIB), {"op": "judge", "assignment": assignment,
                                                         "artifacts": str(tmp_path), "probe": str(tmp_path),
                                                         "budget": "smoke"})
    verdicts = answer["verdicts"]
    assert [v["test"] for v in verdicts] == list(checks_for(assignment).CHECKS)
    assert not any(v["passed"] for v in verdicts) and all(v["message"] for v in verdicts)


def test_a_bad_request_is_the_graders_failure_and_the_process_goes_on(verifier, mirror):
    address = verifier.address(str(mirror), 4 * GIB)
    with pytest.raises(VerifierUnavailable, match="unknown request"):
        request(address, {"op": "grade-me-full-marks"})
    with pytest.raises(VerifierUnavailable, match="KeyError"):
        request(address, {"op": "judge", "assignment": "a1_noise_mlp"})
    assert verifier.address(str(mirror), 4 * GIB) == address  # still the same, still answering


def test_a_hung_verifier_is_stopped_and_the_next_job_gets_a_fresh_one(verifier, mirror):
    hung = verifier.address(str(mirror), 4 * GIB)
    os.kill(hung.pid, signal.SIGSTOP)  # as if a request never finished
    with pytest.raises(VerifierUnavailable, match="did not answer within 1 s"):
        request(hung, {"op": "ping"}, timeout=1)
    fresh = verifier.address(str(mirror), 4 * GIB)
    assert fresh.pid != hung.pid and request(fresh, {"op": "ping"}) == {"pong": True}
    with pytest.raises(ProcessLookupError):
        os.kill(hung.pid, 0)


def test_a_dead_verifier_is_replaced(verifier, mirror):
    dead = verifier.address(str(mirror), 4 * GIB)
    os.kill(dead.pid, signal.SIGKILL)
    fresh = verifier.address(str(mirror), 4 * GIB)
    assert fresh.pid != dead.pid and request(fresh, {"op": "ping"}) == {"pong": True}


def test_the_address_travels_to_the_worker_in_its_environment(monkeypatch):
    address = service.Address("/tmp/nnlab-verifier-x/socket", 4242)
    monkeypatch.setenv(*next(iter(address.to_env().items())))
    assert service.Address.from_env() == address
    monkeypatch.delenv(service.ADDRESS_VARIABLE)
    assert service.Address.from_env() is None


def test_a_verifier_that_cannot_start_says_why(mirror, monkeypatch):
    monkeypatch.setattr(service.sys, "executable", "/bin/false")
    with VerifierService() as broken, pytest.raises(VerifierUnavailable, match="did not start"):
        request(broken.address(str(mirror), 4 * GIB), {"op": "ping"})  # the first request waits for the start


def test_a_verifier_is_replaced_after_its_share_of_jobs_or_for_another_mirror(mirror, tmp_path, monkeypatch):
    monkeypatch.setattr(service, "JOBS_PER_PROCESS", 2)
    (tmp_path / "other-mirror").mkdir()
    with VerifierService() as slot:
        first = slot.address(str(mirror), 4 * GIB)
        assert slot.address(str(mirror), 4 * GIB) == first
        second = slot.address(str(mirror), 4 * GIB)  # the third job
        assert second.pid != first.pid
        assert slot.address(str(tmp_path / "other-mirror"), 4 * GIB).pid != second.pid
