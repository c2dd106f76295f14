"""No module of ours imports another that imports it back, directly or through others — imports
inside functions included (they hide a cycle rather than remove it). Read from the source with
``ast``; nothing is imported."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("accounts", "config", "evaluation", "portal", "proposals")


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(name: str, path: Path, known: dict) -> set[str]:
    """The modules of ``known`` that ``path`` imports, anywhere in the file."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in known}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:
                if f"{target}.{alias.name}" in known:  # ``from . import rules``
                    found.add(f"{target}.{alias.name}")
                elif target in known:
                    found.add(target)
    return found - {name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def test_no_module_imports_one_that_imports_it_back():
    graph = import_graph()
    found = cycles(graph)
    assert found == [], "\n".join(
        " ⇄ ".join(f"{module} → {sorted(graph[module] & set(cycle))}" for module in cycle) for cycle in found
    )


def test_the_check_sees_a_cycle_hidden_in_a_function(tmp_path):
    """The check itself: two modules importing each other, one of them inside a function."""
    (tmp_path / "one.py").write_text("from two import b\n\ndef a():\n    return b\n")
    (tmp_path / "two.py").write_text("def b():\n    from one import a\n    return a\n")
    known = {"one": tmp_path / "one.py", "two": tmp_path / "two.py"}
    graph = {name: imports_of(name, path, known) for name, path in known.items()}
    assert cycles(graph) == [["one", "two"]]
