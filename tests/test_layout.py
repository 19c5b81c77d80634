"""The integration's layout: who may import whom.

Read from the source with `ast`, so that imports under TYPE_CHECKING count
too: a cycle hidden there still ties the modules' meanings together.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "custom_components" / "sot_point"
# Packages that hold rules and device talk without Home Assistant: they can
# be read, run and tested on their own.
HA_FREE = ("hardware", "rules")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    """The package modules an `import from` names (level > 0: relative)."""
    if node.level == 0:
        return []
    base = module.split(".") if module else []
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    target = ".".join([*base, *(node.module.split(".") if node.module else [])])
    # `from . import x` and `from .pkg import mod` may name modules.
    names = [f"{target}.{alias.name}" if target else alias.name for alias in node.names]
    return [target, *names] if target else names


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text())
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                is_package = path.name == "__init__.py"
                found.update(
                    t for t in _resolve(module, is_package, node) if t in files
                )
        found.discard(module)
        graph[module] = found
    return graph


def _external_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules along it, or None."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        for target in sorted(graph.get(module, ())):
            if found := visit(target, [*path, module]):
                return found
        done.add(module)
        return None

    for module in sorted(graph):
        if found := visit(module, []):
            return found
    return None


def test_cycle_finder_finds_a_cycle() -> None:
    """The check below would see a cycle through a TYPE_CHECKING import."""
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_in_the_integration() -> None:
    """No module of the integration imports, however indirectly, itself."""
    assert _cycle(_graph()) is None


@pytest.mark.parametrize("package", HA_FREE)
def test_ha_free_packages_never_import_home_assistant(package: str) -> None:
    """hardware/ and rules/ run without Home Assistant, nor import what does."""
    graph = _graph()
    for path in (PACKAGE / package).rglob("*.py"):
        module = _module_name(path)
        assert "homeassistant" not in _external_imports(path), module
        outside = {
            target
            for target in graph[module]
            if not target.startswith(HA_FREE) and target != "const"
        }
        assert outside == set(), module
