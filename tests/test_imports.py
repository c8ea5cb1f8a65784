"""The engine's import graph: no circle (lazy imports inside functions count too), and lower layers never import
higher ones, so the chain reads pipeline -> runners -> jobs -> launcher -> worker -> verify -> sandboxes."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

PACKAGES = ("autograder", "helpers", "reference")
# a module of the left never imports one of the right (helpers stand alone: students get them without the grader)
NEVER = {"helpers": ("autograder", "reference"),
         "autograder.sandboxes": ("autograder.verify", "autograder.worker", "autograder.jobs", "autograder.pipeline",
                                  "autograder.runners", "autograder.cli"),
         "autograder.verify": ("autograder.worker", "autograder.jobs", "autograder.launcher", "autograder.pipeline",
                               "autograder.runners", "autograder.cli"),
         "autograder.worker": ("autograder.jobs", "autograder.launcher", "autograder.pipeline", "autograder.runners",
                               "autograder.cli")}


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            name = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
            found[name] = path
    return found


def imports(path: Path, name: str, known: dict[str, Path]) -> set[str]:
    """The kit's modules that ``path`` imports anywhere (``if TYPE_CHECKING:`` blocks excluded)."""
    tree = ast.parse(path.read_text())
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
               for n in ast.walk(node)}
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else [])) \
                if node.level else node.module
            found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return {m for m in found if m in known and m != name}


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(path, name, known) for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(edges[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_round_a_circle():
    edges = graph()
    assert {"autograder.job", "autograder.verify.verification"} <= edges["autograder.worker"]  # read as it is
    assert "autograder.preprocessors.execute" in edges["autograder.course"]  # lazy imports count
    assert cycles(edges) == []


def test_the_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_layer_imports_one_above_it():
    upward = [(name, target) for name, targets in graph().items() for layer, above in NEVER.items()
              if name == layer or name.startswith(layer + ".") for target in targets
              if any(target == a or target.startswith(a + ".") for a in above)]
    assert upward == []
