"""The login service: qcrm.login serves the login pages and the second-factor pages, and the two
view modules do not import each other in a circle (not even inside a function)."""

from __future__ import annotations

import ast
from pathlib import Path

import qcrm

PACKAGE = Path(qcrm.__file__).parent


def _imported_modules(module: str) -> set[str]:
    """Every qcrm module a module imports, at the top or inside functions."""
    tree = ast.parse(
        (PACKAGE / (module.removeprefix("qcrm.").replace(".", "/") + ".py")).read_text()
    )
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("qcrm"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("qcrm"))
    return found


def test_the_login_pages_and_the_second_factor_pages_do_not_import_each_other():
    assert "qcrm.auth" in _imported_modules("qcrm.two_factor_views")  # its routes join auth's
    assert "qcrm.two_factor_views" not in _imported_modules("qcrm.auth")


def test_the_login_service_imports_no_view_module():
    imported = _imported_modules("qcrm.login")
    assert not imported & {"qcrm.auth", "qcrm.two_factor_views"}


def test_both_view_modules_log_in_through_the_login_service():
    for module in ("qcrm.auth", "qcrm.two_factor_views"):
        assert "qcrm.login.log_in" in _imported_modules(module), module
