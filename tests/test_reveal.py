import pytest

from reference.reveal import solution_source


def test_reveal_returns_the_worked_solution():
    code = solution_source("add_noise")
    assert "size=images.shape" in code and "BEGIN SOLUTION" not in code


def test_reveal_unknown_step_lists_the_known_ones():
    with pytest.raises(LookupError, match="steps with one: .*add_noise"):
        solution_source("nope")
