"""Views translate HTTP into one call (docs/architecture.md, rule 2): none is longer than 30 lines.

A view is a function decorated with ``view_config``, or a method of a class decorated with
``view_defaults``/``view_config``. Its length runs from ``def`` to its last line, decorators
excluded; what a view grows beyond that belongs in a resource method, ``accounts/flows.py``
or a small private helper.
"""
from __future__ import annotations

import ast
from pathlib import Path

import cgs_portal

MAX_LINES = 30
PACKAGE = Path(cgs_portal.__file__).parent
VIEW_DECORATORS = {"view_config"}
VIEW_CLASS_DECORATORS = {"view_config", "view_defaults"}


def _decorator_names(node) -> set[str]:
    names = set()
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Name):
            names.add(target.id)
        elif isinstance(target, ast.Attribute):
            names.add(target.attr)
    return names


def _views(tree):
    """Every view function and view-class method of a module, each once."""
    seen = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and _decorator_names(node) & VIEW_CLASS_DECORATORS:
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    seen.add(item)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
            _decorator_names(node) & VIEW_DECORATORS
        ):
            seen.add(node)
    return sorted(seen, key=lambda n: n.lineno)


def _long_views():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _views(tree):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_LINES:
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_views_are_at_most_30_lines():
    long_views = _long_views()
    assert not long_views, f"views longer than {MAX_LINES} lines:\n" + "\n".join(long_views)


def test_the_walk_finds_views():
    """Guards the check itself: function views and view-class methods are both seen."""
    names = set()
    for path in PACKAGE.rglob("*.py"):
        names.update(n.name for n in _views(ast.parse(path.read_text(encoding="utf-8"))))
    assert {"account_page", "change_login", "account_reset", "register", "forgot_password"} <= names
    assert {"upload", "confirm", "no_cases"} <= names  # reporting/views/filing.py MonthForms
