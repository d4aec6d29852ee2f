"""Data flows one way between the stages: the graph of imports between ichseg's
packages (module-level and function-level imports alike) has no cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import ichseg

PACKAGE = Path(ichseg.__file__).parent


def _stage(module: str) -> str:
    """``ichseg.infer.bundle`` -> ``infer``; a top-level module is its own stage."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _imports_of(path: Path) -> set[str]:
    module = "ichseg." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module.removesuffix(".__init__")
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [target] if node.module else [f"{target}.{alias.name}" for alias in node.names]
            found.update(name for name in names if name.startswith("ichseg."))
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("ichseg."))
    return found


def stage_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        source = _stage("ichseg." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts))
        for target in _imports_of(path):
            stage = _stage(target)
            if stage != source:
                graph.setdefault(source, set()).add(stage)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_stages_import_each_other_one_way():
    cycle = _cycle(stage_graph())
    assert cycle is None, " -> ".join(cycle)


def test_the_checker_finds_a_cycle():
    assert _cycle({"infer": {"train"}, "train": {"models", "infer"}}) == ["infer", "train", "infer"]


def test_inference_and_statistics_stay_upstream():
    graph = stage_graph()
    assert "train" not in graph.get("infer", set())
    assert not graph.get("stats", set()) & {"evaluate", "compare", "io"}
    assert not graph.get("models", set()) & {"train", "infer", "evaluate"}
