"""mlkit as a library: the facts of its wheel, read from src/mlkit/pyproject.toml so that the docs cannot
drift from what `make wheel` builds."""

from __future__ import annotations

import tomllib

from docsgen.sources import Sources, table


def package(src: Sources) -> str:
    """Name, version, Python and the declared dependencies of mlkit's wheel."""
    project = tomllib.loads((src.root / "src/mlkit/pyproject.toml").read_text())["project"]
    rows = [
        ["distribution", f"`{project['name']}`"],
        ["version", f"`{project['version']}`"],
        ["Python", f"`{project['requires-python']}`"],
        ["dependencies", ", ".join(f"`{name}`" for name in project["dependencies"])],
    ]
    return table(["", "mlkit"], rows)
