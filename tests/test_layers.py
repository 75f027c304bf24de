"""The layers (docs/architecture.md) as a test: every import of every module, including the
ones inside functions and under ``TYPE_CHECKING``, stays inside what its layer may use.

    cli, dashboard  (on top; the dashboard never imports the command line)
         │
    audit (engine)      connectors
         │                  │
         └────── core ──────┘   (imports nothing of ours; stdlib, Polars, platformdirs)

An AST walk rather than import-linter: no new dependency, and it can also say which
third-party libraries a layer may not use (click, streamlit) and that the core uses the
standard library only, apart from the two it needs (see `CORE_LIBRARIES`).
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = frozenset({"core", "audit", "connectors", "cli", "dashboard", "timeaudit_sample", "app"})
# The core's third-party imports: the event frame is a Polars schema (SPEC §3) and the
# local store lives in the platform's data folder. Nothing else.
CORE_LIBRARIES = frozenset({"polars", "platformdirs"})
SHELL_LIBRARIES = frozenset({"click", "streamlit"})


@dataclass(frozen=True)
class Rule:
    """What the modules of one package may import (top-level names)."""

    package: str
    ours: frozenset[str]  # our packages it may import (itself included)
    forbidden_libraries: frozenset[str] = frozenset()
    only_libraries: frozenset[str] | None = None  # None: any third-party library
    allowed_modules: frozenset[str] = frozenset()  # single modules of other packages


RULES = (
    Rule("core", frozenset({"core"}), only_libraries=CORE_LIBRARIES),
    Rule("connectors", frozenset({"core", "connectors"}), forbidden_libraries=SHELL_LIBRARIES),
    Rule("audit", frozenset({"core", "audit"}), forbidden_libraries=SHELL_LIBRARIES),
    # `timeaudit dashboard` starts the server: the launcher is the one dashboard module
    # the command line imports (it imports no Streamlit itself).
    Rule("cli", frozenset({"core", "audit", "connectors", "cli", "timeaudit_sample"}),
         forbidden_libraries=frozenset({"streamlit"}),
         allowed_modules=frozenset({"dashboard.serve"})),
    Rule("dashboard",
         frozenset({"core", "audit", "connectors", "dashboard", "timeaudit_sample"}),
         forbidden_libraries=frozenset({"click"})),
)


def imported_modules(source: str, module: str) -> list[tuple[int, str]]:
    """Every module ``source`` imports (line, dotted name), at any depth of the tree."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing module's package
                base = module.split(".")[: -node.level]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.extend((node.lineno, f"{name}.{alias.name}" if name in OURS else name)
                         for alias in node.names)
    return found


def violations(rule: Rule, source: str, module: str) -> list[str]:
    """The imports of ``source`` (module ``module``) that break ``rule``, one line each."""
    problems = []
    for line, name in imported_modules(source, module):
        top = name.split(".")[0]
        if top == "__future__" or top in sys.stdlib_module_names:
            continue
        if top in OURS:
            allowed = top in rule.ours or any(
                name == allowed or name.startswith(allowed + ".")
                for allowed in rule.allowed_modules)
            if not allowed:
                problems.append(f"{module}:{line} imports {name} ({rule.package} may import "
                                f"{', '.join(sorted(rule.ours))} only)")
        elif top in rule.forbidden_libraries or (
                rule.only_libraries is not None and top not in rule.only_libraries):
            problems.append(f"{module}:{line} imports {top} (a library {rule.package} "
                            "may not use)")
    return problems


def modules_of(package: str) -> list[tuple[str, Path]]:
    return [(".".join(path.relative_to(ROOT).with_suffix("").parts), path)
            for path in sorted((ROOT / package).rglob("*.py"))]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.package)
def test_every_module_imports_only_what_its_layer_may(rule: Rule) -> None:
    modules = modules_of(rule.package)
    assert modules, f"no modules found in {rule.package}/"
    problems = [problem for module, path in modules
                for problem in violations(rule, path.read_text(encoding="utf-8"), module)]
    assert problems == []


def test_every_product_package_has_a_rule() -> None:
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    assert packages - {"tests", "benchmarks", "sample_data"} == {rule.package for rule in RULES}


RULE = {rule.package: rule for rule in RULES}


@pytest.mark.parametrize(("package", "source", "broken"), [
    ("connectors", "from audit.config import Config\n", "audit.config"),
    ("connectors", "def f():\n    from audit import store\n", "audit.store"),
    ("audit", "def f():\n    import connectors.ics\n", "connectors.ics"),
    ("audit", "import click\n", "click"),
    ("audit", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import streamlit\n",
     "streamlit"),
    ("core", "from audit import engine\n", "audit.engine"),
    ("core", "import icalendar\n", "icalendar"),
    ("dashboard", "from cli import main\n", "cli.main"),
    ("dashboard", "from cli.main import cli\n", "cli.main"),
    ("cli", "from dashboard import data\n", "dashboard.data"),
    ("connectors", "from ..audit import engine\n", "audit.engine"),
])
def test_a_crossed_layer_is_caught(package: str, source: str, broken: str) -> None:
    found = violations(RULE[package], source, f"{package}.example")
    assert len(found) == 1
    assert f" imports {broken} (" in found[0]


@pytest.mark.parametrize(("package", "source"), [
    ("connectors", "from core import schema as s\nimport icalendar\n"),
    ("audit", "import polars as pl\nfrom core.period import Period\n"),
    ("core", "import zoneinfo\nimport polars as pl\n"),
    ("cli", "def f():\n    from dashboard import serve\n"),
    ("dashboard", "from audit.engine import Audit\nfrom connectors.ics import read_ics\n"),
])
def test_what_a_layer_may_import_passes(package: str, source: str) -> None:
    assert violations(RULE[package], source, f"{package}.example") == []
