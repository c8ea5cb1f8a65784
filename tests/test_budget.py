import pytest

from helpers.budget import BUDGETS, get_budget


def test_named_budgets_exist_and_full_is_the_assignment():
    assert set(BUDGETS) == {"full", "grade", "smoke"}
    full = get_budget("full")
    assert (full.epochs, full.mnist_train, full.cifar_train) == (20, None, None)
    assert (full.mlp_batch_size, full.cnn_batch_size) == (128, 64)


def test_environment_selects_budget(monkeypatch):
    monkeypatch.setenv("NNLAB_BUDGET", "grade")
    assert get_budget().name == "grade"
    monkeypatch.delenv("NNLAB_BUDGET")
    assert get_budget().name == "full"


def test_the_graders_budget_wins_over_a_notebooks_own_choice(monkeypatch):
    # a student's leftover `%env NNLAB_BUDGET=smoke` (or get_budget("smoke")) must not change the grading budget
    monkeypatch.setenv("NNLAB_GRADER_BUDGET", "grade")
    monkeypatch.setenv("NNLAB_BUDGET", "smoke")
    assert get_budget().name == "grade" and get_budget("smoke").name == "grade"
    monkeypatch.delenv("NNLAB_GRADER_BUDGET")
    assert get_budget().name == "smoke"


def test_optional_cells_are_off_under_the_grader_at_every_budget(monkeypatch):
    monkeypatch.setenv("NNLAB_BUDGET", "smoke")
    assert get_budget().run_optional  # a student or the walkthrough at smoke runs the "try it" cells
    monkeypatch.setenv("NNLAB_GRADER_BUDGET", "smoke")
    assert get_budget().name == "smoke" and not get_budget().run_optional
    assert get_budget().thresholds == BUDGETS["smoke"].thresholds


def test_unknown_budget_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("NNLAB_BUDGET", "tiny")
    with pytest.raises(ValueError, match="NNLAB_BUDGET='tiny' is not a known budget"):
        get_budget()


def test_smaller_budgets_are_smaller_and_thresholds_are_meaningful():
    full, grade, smoke = (get_budget(n) for n in ("full", "grade", "smoke"))
    assert smoke.mnist_train < grade.mnist_train and smoke.cifar_train < grade.cifar_train
    for budget in (full, grade, smoke):
        assert set(budget.thresholds) == {"mnist_mlp_clean", "mnist_mlp_noisy", "mnist_depth_mlp", "cifar_cnn"}
        # every threshold must be far above chance (10 classes)
        assert min(budget.thresholds.values()) >= 0.15  # above every untrained model measured (at most 0.124)
    with pytest.raises(KeyError, match="no threshold named"):
        full.threshold("nope")
