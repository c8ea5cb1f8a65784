"""The ✓-versus-grader page: which rows count against the kit, and how they read."""

from autograder.agreement import Row, markdown


def test_only_an_undeclared_check_mark_that_the_grader_refuses_counts_against_the_kit():
    rows = [Row("a", "a1_noise_mlp", "test_sweep", notebook_passed=False, grader_passed=False, declared=False),
            Row("b", "a1_noise_mlp", "test_sweep", notebook_passed=True, grader_passed=False, declared=True),
            Row("c", "a1_noise_mlp", "test_sweep", notebook_passed=True, grader_passed=False, declared=False),
            Row("d", "a1_noise_mlp", "test_sweep", notebook_passed=None, grader_passed=False, declared=False)]
    assert [row.unseen for row in rows] == [False, False, True, False]
    page = markdown(rows)
    assert "| `b` | `test_sweep` | ✓ | ✗ | declared: the test cell says what the grader adds |" in page
    assert "| `c` | `test_sweep` | ✓ | ✗ | the grader has the stricter check |" in page
    assert "| `d` | `test_sweep` | not run | ✗ |" in page
    assert "1 of 4 rows agree; 1 are declared; 1 are undeclared" in page
