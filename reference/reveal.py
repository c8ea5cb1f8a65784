"""For self-learners (in the instructor's repository, not in the student bundle): show the worked solution of one step, from the master notebooks in ``solutions/``.

    from reference.reveal import reveal
    reveal("add_noise")          # prints the solution code of the cell with that id

The ids are the nbgrader cell ids shown in each answer cell's metadata (e.g. ``add_noise``,
``build_mlp``, ``sweep``). Under the autograder the masters are not visible, so this only
works on a learner's own copy of the kit.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


def solution_source(cell_id: str, solutions: Path = SOLUTIONS) -> str:
    """The worked solution of the answer cell ``cell_id`` (raises ``LookupError`` if there is none)."""
    for path in sorted(solutions.glob("*/*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == cell_id:
                source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                parts = SOLUTION.findall(source)
                if parts:
                    return "\n".join(part.rstrip() for part in parts)
    known = sorted({c.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
                    for p in solutions.glob("*/*.ipynb") for c in json.loads(p.read_text())["cells"]
                    if c.get("metadata", {}).get("nbgrader", {}).get("solution")})
    raise LookupError(f"no worked solution for {cell_id!r}; steps with one: {', '.join(known) or 'none found'}")


def reveal(cell_id: str) -> None:
    """Print the worked solution of one step."""
    print(solution_source(cell_id))
