"""The apps stay in layers (pyproject.toml [tool.importlinter]); `make test` runs lint-imports, and this shows that
a new wrong-way import breaks the contract, on a copy of the code so the checkout is never touched."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = [
    "config", "tools", "oversight", "home", "portal", "placements", "intelligence", "replies", "letters", "escalation",
    "deadlines", "concerns", "providers",
    "accounts", "audit", "core",
]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def run_lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(cwd), "PATH": str(LINT_IMPORTS.parent)})


def copy_code(target: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def test_the_layers_contract_is_kept():
    result = run_lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Apps in layers KEPT" in result.stdout


def test_a_new_wrong_way_import_breaks_the_contract(tmp_path):
    code = copy_code(tmp_path)
    probe = code / "providers" / "wrong_way.py"
    probe.write_text("from escalation.models import EscalationCase  # a lower app reaching up\n")
    result = run_lint_imports(code)
    assert result.returncode != 0
    assert "Apps in layers BROKEN" in result.stdout
    assert "providers.wrong_way -> escalation.models" in result.stdout


def test_no_wrong_way_import_is_excused():
    """The layers contract lists no exceptions: every app keeps to its layer."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["name"] == "Apps in layers")
    assert not layers.get("ignore_imports")
    flat = [app.strip() for layer in layers["layers"] for app in layer.split("|")]  # "a | b": siblings, independent
    assert flat == config["root_packages"] == PACKAGES
