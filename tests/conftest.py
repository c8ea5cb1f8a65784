"""Shared test settings: offline data mirror, smoke budget, headless plotting."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["NNLAB_BUDGET"] = "smoke"  # a budget left exported in the shell must not make the suite run for hours

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MIRROR = REPO.parent / "shared" / "datasets"
if "NNLAB_DATA_DIR" not in os.environ and DEFAULT_MIRROR.is_dir():
    os.environ["NNLAB_DATA_DIR"] = str(DEFAULT_MIRROR)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def mirror() -> Path:
    path = Path(os.environ.get("NNLAB_DATA_DIR", DEFAULT_MIRROR))
    if not (path / "mnist.npz").is_file():
        pytest.fail(f"the dataset mirror is missing: set NNLAB_DATA_DIR to a folder with mnist.npz ({path})")
    return path
