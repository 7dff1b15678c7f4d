"""The package's layers, checked from its source: one module starts git (and one runs
the sandboxed test command), core/ is pure, and every declared dependency is used."""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "treemerge"
PYPROJECT = PACKAGE.parent / "pyproject.toml"
# The only modules that may start processes: git's gateway, and the runner of the
# integration's test command (which never runs git).
PROCESS_MODULES = {"treemerge/gitio/run.py", "treemerge/app/sandbox_run.py"}
# What core/ may import besides itself and the standard library.
CORE_EXTRA = {"re2"}
# Distribution name -> the module it is imported as.
IMPORT_NAMES = {"google-re2": "re2"}


def imports(path: Path) -> Iterator[str]:
    """Every module `path` imports when it runs (top-level or inside functions; not
    what `if TYPE_CHECKING:` imports for the type checker alone)."""
    yield from _imports(ast.parse(path.read_text(encoding="utf-8")))


def _imports(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.If) and ast.unparse(node.test) in (
        "TYPE_CHECKING",
        "typing.TYPE_CHECKING",
    ):
        for other in node.orelse:
            yield from _imports(other)
        return
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        yield node.module
    for child in ast.iter_child_nodes(node):
        yield from _imports(child)


def sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def relative(path: Path) -> str:
    return path.relative_to(PACKAGE.parent).as_posix()


def test_only_the_gateway_and_the_sandbox_runner_start_processes() -> None:
    starting = {
        relative(path)
        for path in sources()
        if any(name.split(".")[0] in ("subprocess", "multiprocessing") for name in imports(path))
    }
    assert starting == PROCESS_MODULES
    # ... and nothing calls os.system, os.popen, os.exec* or os.spawn* instead.
    for path in sources():
        text = path.read_text(encoding="utf-8")
        for call in ("os.system(", "os.popen(", "os.exec", "os.spawn", "os.posix_spawn"):
            assert call not in text, f"{relative(path)} calls {call}"


def test_core_imports_only_core_the_standard_library_and_re2() -> None:
    for path in sorted((PACKAGE / "core").rglob("*.py")):
        for name in imports(path):
            top = name.split(".")[0]
            allowed = (
                name.startswith("treemerge.core")
                or top in sys.stdlib_module_names
                or top in CORE_EXTRA
                or top == "__future__"
            )
            assert allowed, f"{relative(path)} imports {name}"


def declared_dependencies() -> list[str]:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    names = []
    for requirement in project["dependencies"]:
        name = requirement
        for stop in "<>=!~[; ":
            name = name.split(stop)[0]
        names.append(name)
    return names


@pytest.mark.parametrize("distribution", declared_dependencies())
def test_every_declared_dependency_is_imported(distribution: str) -> None:
    module = IMPORT_NAMES.get(distribution, distribution.lower())
    used = any(name.split(".")[0] == module for path in sources() for name in imports(path))
    assert used, f"{distribution} is in pyproject.toml but treemerge never imports {module}"


def test_no_function_is_over_sixty_lines() -> None:
    long = [
        f"{relative(path)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in sources()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > 60
    ]
    assert long == []
