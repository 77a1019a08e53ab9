"""The pure core imports neither Flask nor the database, so its rules run anywhere."""

import subprocess
import sys
from pathlib import Path

import pytest

PURE = ["coverage", "coverage_words", "coverage_report", "spec", "sampling", "changes",
        "signing", "clock", "tokens", "learner_csv", "totp", "keeping", "suggest",
        "personal_data", "personal_patterns", "personal_words"]
ROOT = Path(__file__).resolve().parent.parent

# Run in a fresh interpreter: block Flask, SQLAlchemy and their kin, make `portfolio` a bare
# namespace (so its __init__, which builds the Flask app, does not run) and import one module.
PROBE = """
import importlib, importlib.abc, sys, types
BLOCKED = ("flask", "flask_sqlalchemy", "flask_login", "flask_wtf", "sqlalchemy", "werkzeug",
           "wtforms", "jinja2", "alembic")
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"pure module imported {name}")
        return None
sys.meta_path.insert(0, Block())
package = types.ModuleType("portfolio")
package.__path__ = [sys.argv[1] + "/portfolio"]
sys.modules["portfolio"] = package
importlib.import_module("portfolio." + sys.argv[2])
leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
assert not leaked, leaked
"""


@pytest.mark.parametrize("module", PURE)
def test_pure_module_imports_no_flask_and_no_database(module):
    done = subprocess.run([sys.executable, "-c", PROBE, str(ROOT), module],  # noqa: S603
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_the_probe_does_catch_a_module_that_needs_flask():
    done = subprocess.run([sys.executable, "-c", PROBE, str(ROOT), "access"],  # noqa: S603
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "pure module imported" in done.stderr
