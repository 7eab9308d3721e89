"""No import cycle between the project's modules.

The graph is built from the source (AST), not by importing: one node per module of the
packages ``clitools``, ``components``, ``contract``, ``localcloud``, ``reconciler`` and ``policies``
(``pkg/__init__.py`` is the node ``pkg``), one edge per import of another project module,
wherever the import stands: at module level, inside a function (lazy imports) or under
``if TYPE_CHECKING:`` (a cycle of type-only imports is still two modules that know each other).

How an import names its target:

- ``import a.b.c`` and ``from a.b.c import x`` are edges to ``a.b.c``;
- ``from a.b import c`` where ``a/b/c.py`` (or ``a/b/c/``) exists is an edge to the submodule
  ``a.b.c``, not to ``a.b``: the name is a module, not something ``a.b``'s ``__init__`` defines;
- relative imports are resolved against the importing module's package.

Package ``__init__`` re-exports: an import is an edge to the module it names only, never to the
parent packages Python runs first. ``from a.b.c import x`` runs ``a/__init__`` and
``a/b/__init__``, but counting that would make every package whose ``__init__`` re-exports from
its own submodules (``a/b/__init__`` importing ``a.b.c``, ``a.b.c`` importing ``a.b.d``) a
cycle. What ``__init__`` itself imports is counted as its own edges, so a real cycle through a
re-export (``a.b.c`` importing a name from ``a.b`` that ``a/b/__init__`` takes from ``a.b.c``)
is found.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGES = ("clitools", "components", "contract", "localcloud", "reconciler", "policies")
ROOT = Path(__file__).resolve().parent.parent


def module_name(path: Path) -> str:
    """``a/b/c.py`` -> ``a.b.c``; ``pkg/__init__.py`` -> ``pkg``."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    """Every module of the project's packages, by dotted name."""
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules *name* (at *path*) imports, anywhere in its source."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                targets.add(submodule if submodule in modules else base)
    return {target for target in targets if target in modules and target != name}


def import_graph() -> dict[str, set[str]]:
    """module -> the project modules it imports."""
    modules = project_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path ``[a, b, ..., a]``, or None when the graph has none."""
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        path: list[str] = []
        on_path: set[str] = set()
        stack: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        path.append(start)
        on_path.add(start)
        while stack:
            node, pending = stack[-1]
            if not pending:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
                continue
            target = pending.pop(0)
            if target in on_path:
                return [*path[path.index(target) :], target]
            if target not in done:
                stack.append((target, sorted(graph[target])))
                path.append(target)
                on_path.add(target)
    return None


def test_the_project_has_no_import_cycle():
    graph = import_graph()
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_graph_sees_lazy_type_checking_and_submodule_imports():
    graph = import_graph()
    # module level: the scheduler reads the faults
    assert "localcloud.faults" in graph["localcloud.ecs.scheduler"]
    # TYPE_CHECKING only: the ECS patches name the scheduler's type
    assert "localcloud.ecs.scheduler" in graph["localcloud.ecs.responses"]
    # inside a function: the package's lazy LocalCloud
    assert "localcloud.cloud" in graph["localcloud"]
    # `from localcloud.elbv2 import targets` is the submodule, not the package
    assert "localcloud.elbv2.targets" in graph["localcloud.ecs.scheduler"]
    assert "localcloud.elbv2" not in graph["localcloud.ecs.scheduler"]


def test_find_cycle_reports_the_path():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
