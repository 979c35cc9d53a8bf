"""The lock of a project `make new` generates: this repository's hashed pins of what mlkit and the
project's tools need (their installed dependency closure), and mlkit's wheel from vendor/ by its hash."""

import hashlib
import importlib.metadata
import re
from collections.abc import Sequence
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import mlkit

# What the generated project installs beyond mlkit: the fast YAML and HTTP parts, the S3 remote,
# `copier update`, its tests and docs. Their dependencies come along (from installed metadata).
PROJECT_TOOLS = (
    "ruamel.yaml.clib",
    "httptools",
    "uvloop",
    "dvc-s3",
    "copier",
    "pytest",
    "httpx",
    "ruff",
    "check-jsonschema",
    "mkdocs",
    "setuptools",
)


def _blocks(lock: str) -> dict[str, str]:
    """The lock's entries by canonical name: each entry's text (pin, hashes, `# via` lines)."""
    found: dict[str, str] = {}
    name = None
    for line in lock.splitlines(keepends=True):
        if line and not line[0].isspace() and not line.startswith("#"):
            name = canonicalize_name(re.split(r"[=<>\[ ]", line, maxsplit=1)[0])
            found[name] = ""
        if name is not None:
            found[name] += line
    return found


def closure(roots: Sequence[str]) -> set[str]:
    """The installed distributions `roots` need, transitively (markers of this interpreter)."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for text in requires:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return seen


def project_lock(repo_lock: str, wheel: Path) -> str:
    """The generated project's hashed lock: this repository's pins of what mlkit and the project's
    tools need, and mlkit's wheel from vendor/ by its hash."""
    roots = [*mlkit_dependencies(), *PROJECT_TOOLS]
    needed = closure(roots)
    entries = _blocks(repo_lock)
    kept = [entries[name] for name in sorted(needed) if name in entries]
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    header = (
        "# The project's pinned, hashed environment (`make setup`): cut by `make new` from the lock of the\n"
        "# repository it was generated from, with mlkit's wheel from vendor/.\n"
    )
    return header + "".join(kept) + f"./vendor/{wheel.name} \\\n    --hash=sha256:{digest}\n"


def mlkit_dependencies() -> list[str]:
    """mlkit's dependencies as its pyproject.toml lists them."""
    import tomllib

    pyproject = tomllib.loads((Path(mlkit.__file__).parent / "pyproject.toml").read_text())
    return [Requirement(text).name for text in pyproject["project"]["dependencies"]]
