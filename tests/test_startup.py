"""A grading worker process starts in well under a second of imports (one starts for every notebook)."""

import subprocess
import sys


def test_a_worker_does_not_build_the_iri_grammar_and_still_validates_notebooks(repo):
    code = ("import sys, autograder.worker, nbformat\n"
            "nbformat.validate(nbformat.read(sys.argv[1], as_version=4))\n"
            "print(sorted(m for m in ('rfc3987_syntax', 'lark', 'tensorflow', 'keras') if sys.modules.get(m)))")
    completed = subprocess.run([sys.executable, "-c", code, str(repo / "solutions" / "a1_noise_mlp" / "noise_mlp.ipynb")],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.strip() == "[]"
