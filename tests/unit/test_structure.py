"""Package layering: the parts of ``longwriter`` (subpackages and top-level modules) import each other
without cycles, and importing a low part does not load the heavy libraries of the parts above it."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "longwriter"
SUBPACKAGES = sorted(p.parent.name for p in ROOT.glob("*/__init__.py"))
HEAVY = (
    "langgraph",
    "langchain_core",
    "langchain_openai",
    "openai",
    "chromadb",
    "torch",
    "sentence_transformers",
    "transformers",
    "trl",
    "matplotlib",
)
"""Third-party packages that take long to import or are optional extras."""
MUST_NOT_LOAD = {
    "longwriter.text": HEAVY,
    "longwriter.prompts": HEAVY,
    "longwriter.llm": ("langgraph", "chromadb", "torch", "sentence_transformers", "matplotlib"),
    "longwriter.data": HEAVY,
    "longwriter.planning": HEAVY,
    "longwriter.sources": (*HEAVY, "pypdf", "docx", "lxml"),
    "longwriter.drafting": (
        "langgraph",
        "chromadb",
        "torch",
        "sentence_transformers",
        "matplotlib",
    ),
    "longwriter.agent": ("chromadb", "torch", "sentence_transformers", "matplotlib"),
    "longwriter.eval": ("langgraph", "chromadb", "torch", "sentence_transformers", "matplotlib"),
    "longwriter.train": HEAVY,
}
"""What importing a subpackage may not load: the bottom layers nothing heavy; the model layer
(llm) and the settings (agent) their client libraries but no memory store, model weights or plots."""


def _part(module: str) -> str:
    """The layering unit of a module: ``longwriter.agent.steps.critic`` -> ``longwriter.agent``."""
    return ".".join(module.split(".")[:2])


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(
    node: ast.AST, in_function: bool
) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Import statements under ``node``, each with whether it runs only when a function is called.
    Skipped: imports for type checkers, and a module's ``__getattr__`` (PEP 562), which re-exports
    names from above for users (``longwriter.agent.build_graph``) and is no dependency of the module."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef) and child.name == "__getattr__":
            continue
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, in_function
        elif isinstance(child, ast.If) and _type_checking(child):
            yield from _imports(ast.Module(body=child.orelse, type_ignores=[]), in_function)
        else:
            inner = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            yield from _imports(child, in_function or inner)


def _targets(stmt: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The ``longwriter`` modules an import statement loads."""
    if isinstance(stmt, ast.Import):
        return [a.name for a in stmt.names if a.name.split(".")[0] == "longwriter"]
    base = stmt.module or ""
    if stmt.level:
        anchor = module.split(".")[: len(module.split(".")) - stmt.level + (1 if is_package else 0)]
        base = ".".join([*anchor, *([base] if base else [])])
    if base.split(".")[0] != "longwriter":
        return []
    # ``from longwriter import api`` imports the submodule ``longwriter.api``.
    subs = [f"{base}.{a.name}" for a in stmt.names if _is_module(f"{base}.{a.name}")]
    return subs or [base]


def _is_module(name: str) -> bool:
    path = ROOT.parent.joinpath(*name.split("."))
    return path.is_dir() or path.with_suffix(".py").exists()


def import_graph(*, functions: bool) -> dict[str, set[str]]:
    """Edges between the parts of ``longwriter``: part -> parts it imports at module level (and, with
    ``functions``, inside functions too)."""
    graph: dict[str, set[str]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges = graph.setdefault(_part(module), set())
        for stmt, in_function in _imports(tree, False):
            if in_function and not functions:
                continue
            for target in _targets(stmt, module, path.name == "__init__.py"):
                if _part(target) != _part(module):
                    edges.add(_part(target))
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path that ends where it starts, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


@pytest.mark.parametrize(
    ("graph", "cycle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"b"}, "b": {"b", "c"}, "c": set()}, ["b", "b"]),
    ],
)
def test_find_cycle(graph: dict[str, set[str]], cycle: list[str] | None) -> None:
    assert find_cycle(graph) == cycle


LAYERS = [
    ["longwriter.errors", "longwriter.files", "longwriter.text", "longwriter.prompts"],
    ["longwriter.jsonl", "longwriter.userfiles", "longwriter.document", "longwriter.sources"],
    ["longwriter.llm", "longwriter.memory", "longwriter.export"],
    ["longwriter.planning", "longwriter.drafting"],
    ["longwriter.agent"],
    ["longwriter.api", "longwriter.batch", "longwriter.graph"],
    ["longwriter.cli_support", "longwriter.data", "longwriter.eval"],
    ["longwriter.train"],
    ["longwriter.cli", "longwriter"],
]
"""The house from the bottom up: a part imports only parts of its own floor or the floors below
(``longwriter.graph`` forwards to ``longwriter.agent.graph`` for one release)."""
FLOOR = {part: floor for floor, parts in enumerate(LAYERS) for part in parts}


def test_the_import_graph_sees_the_known_edges() -> None:
    graph = import_graph(functions=False)
    assert "longwriter.document" in graph["longwriter.planning"]
    assert "longwriter.drafting" in graph["longwriter.agent"]
    assert "longwriter.text" in graph["longwriter.memory"]
    assert "longwriter.agent" not in graph["longwriter.text"]


def test_every_part_has_a_floor() -> None:
    """A new package or top-level module is placed in ``LAYERS`` before it lands."""
    assert sorted(set(import_graph(functions=True)) - set(FLOOR)) == []


@pytest.mark.parametrize("functions", [False, True])
def test_no_import_runs_back_up(functions: bool) -> None:
    """Every import, at module level or deferred into a function, goes down the floors or stays on
    its own."""
    graph = import_graph(functions=functions)
    upward = sorted(
        f"{part} -> {target}"
        for part, targets in graph.items()
        for target in targets
        if FLOOR[target] > FLOOR[part]
    )
    assert upward == []


def test_no_import_cycle_between_the_parts_of_longwriter() -> None:
    """Module-level imports form layers: a part never imports, even indirectly, one that imports it."""
    cycle = find_cycle(import_graph(functions=False))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_deferred_imports_keep_the_layers_too() -> None:
    """Imports inside functions (deferred so that a command starts fast) go down the layers as well."""
    cycle = find_cycle(import_graph(functions=True))
    assert cycle is None, "import cycle through imports in functions: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("package", SUBPACKAGES)
def test_importing_a_subpackage_loads_only_its_layers(package: str) -> None:
    """Imported in a fresh interpreter, a subpackage loads nothing it must not (the bottom layers stay
    cheap: ``from longwriter.text import count_words`` needs no LangGraph or OpenAI client)."""
    name = f"longwriter.{package}"
    code = f"import json, sys, {name}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT.parent,
    )
    loaded = {m.split(".")[0] for m in json.loads(out.stdout)}
    heavy = sorted(loaded & set(HEAVY))
    wrong = sorted(set(MUST_NOT_LOAD.get(name, ())) & loaded)
    assert not wrong, f"import {name} loads {wrong} (all heavy loads: {heavy})"


MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def test_modules_and_functions_stay_short_enough_to_read() -> None:
    """A module past 500 lines or a function past 80 is a sign of two jobs in one place."""
    too_long = []
    for path in sorted(ROOT.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT.parent)
        if source.count("\n") > MAX_MODULE_LINES:
            too_long.append(f"{name}: {source.count(chr(10))} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    too_long.append(f"{name}:{node.lineno} {node.name}: {lines} lines")
    assert not too_long, "\n".join(too_long)


def test_the_model_converter_runs_as_a_script_without_the_package() -> None:
    """The vLLM set-up runs it with the vLLM venv's Python, where longwriter is not installed."""
    script = ROOT / "llm" / "convert.py"
    done = subprocess.run(
        [sys.executable, "-S", "-P", str(script), "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
