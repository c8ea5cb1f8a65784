"""The conda environment and pyproject.toml must pin the same packages."""

import tomllib

import yaml


def test_environment_yml_matches_pyproject(repo):
    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"]) | set(project["optional-dependencies"]["test"])
    env = yaml.safe_load((repo / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert set(pip_section) == wanted, f"out of sync: {set(pip_section) ^ wanted}"
    assert "python=3.11" in env["dependencies"]
    assert project["requires-python"].startswith(">=3.11")
