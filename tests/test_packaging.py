"""Packaging: the conda environment and pyproject.toml pin the same packages; the lint step catches broken files."""

import subprocess
import sys
import tomllib
from pathlib import Path

import yaml


def test_environment_yml_matches_pyproject(repo):
    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"]) | set(project["optional-dependencies"]["test"])
    env = yaml.safe_load((repo / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert set(pip_section) == wanted, f"out of sync: {set(pip_section) ^ wanted}"
    assert "python=3.11" in env["dependencies"]
    assert project["requires-python"].startswith(">=3.11")


def test_the_lint_step_fails_on_a_file_that_does_not_parse(repo, tmp_path):
    """``make lint`` (part of ``make test``) runs ruff with the project's settings; a syntax error is one of its rules."""
    broken = tmp_path / "broken.py"
    broken.write_text("def f():\n    import os\nfrom x import y\n        return 1\n")
    ruff = Path(sys.executable).with_name("ruff")
    completed = subprocess.run([str(ruff), "check", "--config", str(repo / "pyproject.toml"), str(broken)],
                               capture_output=True, text=True)
    assert completed.returncode == 1 and "invalid-syntax" in completed.stdout, completed.stdout
    assert "$(BIN)/ruff check ." in (repo / "Makefile").read_text()
