"""The test suite stays easy to read: every test module takes its shared helpers from ``tests/helpers.py``
(or a data module such as ``tests/payloads.py``) and its fixtures from a ``conftest.py``, which pytest
injects; never from another test module or a conftest, so that moving or deleting one test module never
breaks another."""

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def _imported_modules(path: Path, root: Path) -> list[str]:
    """Every module ``path`` (a file below the package ``root``) imports, as a dotted name (``tests.x``);
    names imported from a package count too (``from tests import test_x`` gives ``tests.test_x``)."""
    package = ".".join(path.relative_to(root.parent).parent.parts)
    modules = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            modules.append(module)
            modules.extend(f"{module}.{alias.name}" for alias in node.names)
    return modules


def _imports_of_test_modules(root: Path) -> list[str]:
    """``<file> imports <module>`` for each import of a test module or a conftest by a file below ``root``."""
    return [
        f"{path.relative_to(root)} imports {module}"
        for path in sorted(root.rglob("*.py"))
        for module in _imported_modules(path, root)
        if module.startswith("tests.") and module.rsplit(".", 1)[-1].startswith(("test_", "conftest"))
    ]


def test_no_test_module_imports_another_test_module_or_a_conftest():
    assert _imports_of_test_modules(TESTS) == []


def test_the_check_names_each_file_importing_a_test_module_or_a_conftest(tmp_path):
    tests = tmp_path / "tests"
    (tests / "ess").mkdir(parents=True)
    (tests / "test_a.py").write_text("from tests.test_b import helper\nfrom tests.helpers import APIS\n")
    (tests / "test_c.py").write_text("from tests import test_b\n")
    (tests / "ess" / "test_d.py").write_text("from .conftest import START\n")
    assert _imports_of_test_modules(tests) == [
        "ess/test_d.py imports tests.ess.conftest",
        "test_a.py imports tests.test_b",
        "test_c.py imports tests.test_b",
    ]
