"""mlkit is typed: mypy, configured in the root pyproject's `[tool.mypy]`, finds nothing in the library.

The wheel ships `py.typed`, so a project that installs mlkit type-checks its calls against these
annotations: an annotation mypy has not checked would mislead it.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MLKIT = ROOT / "src" / "mlkit"


@pytest.mark.slow  # a cold mypy cache (CI) costs 10-30 s; `make lint` runs the same check
def test_mypy_finds_nothing_in_mlkit():
    # the repository's settings and files (`[tool.mypy] files`), cached in .mypy_cache as `make lint`'s
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"mypy on src/mlkit:\n{result.stdout}{result.stderr}"
    # every module of the library was checked, not a part the configuration happens to name
    modules = len(list(MLKIT.rglob("*.py")))
    assert f"no issues found in {modules} source files" in result.stdout
