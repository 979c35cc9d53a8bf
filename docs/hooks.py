"""MkDocs hooks (mkdocs.yml `hooks:`): the figures rendered afresh, and the API reference of `mlkit`.

- Every `<!-- fig:NAME -->...<!-- /fig -->` block of a page is rendered from the committed files by the
  repository's `docsgen` package, so the site never shows a stale figure, whatever the committed text.
- The nav entry `API reference: reference/mlkit.md` becomes one page per module of `src/mlkit`, found by
  walking the package at build time (`::: mlkit.<module>` for mkdocstrings): a module added, moved or
  removed needs no edit here or in mkdocs.yml.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the repository's own docsgen package, wherever mkdocs runs from

from docsgen.render import render  # noqa: E402
from docsgen.sources import Sources  # noqa: E402

PACKAGE = ROOT / "src" / "mlkit"
INDEX = "reference/mlkit.md"
NAV_TITLE = "API reference"


def modules(package: Path = PACKAGE) -> list[str]:
    """Dotted names of the package's public modules: components first, then each subpackage (its own
    docstring) and its modules."""
    found = []
    for path in sorted(
        package.rglob("*.py"), key=lambda p: (len(p.relative_to(package).parts), p.as_posix())
    ):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if path.name == "__init__.py":  # a subpackage's page; the package's own docstring opens the index
            parts = parts[:-1]
            if path.parent == package:
                continue
        if any(part.startswith("_") for part in parts):
            continue
        if not (path.parent / "__init__.py").exists():  # not importable as part of the package
            continue
        found.append(".".join(parts))
    return found


def summary(module: str) -> str:
    """The first paragraph of a module's docstring, on one line."""
    path = PACKAGE.parent.joinpath(*module.split(".")).with_suffix(".py")
    if not path.exists():  # a subpackage
        path = path.with_suffix("") / "__init__.py"
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    return " ".join(doc.split("\n\n")[0].split())


def page(module: str) -> str:
    return f"reference/{module}.md"


def _expand(nav: list) -> bool:
    for i, item in enumerate(nav):
        if isinstance(item, dict):
            for title, value in item.items():
                if title == NAV_TITLE and value == INDEX:
                    nav[i] = {title: [INDEX, *({name: page(name)} for name in modules())]}
                    return True
                if isinstance(value, list) and _expand(value):
                    return True
    return False


def on_config(config, **kwargs):
    if not _expand(config["nav"]):
        raise ValueError(f"mkdocs.yml's nav has no entry `{NAV_TITLE}: {INDEX}` for the hook to expand")
    return config


def on_files(files, config, **kwargs):
    names = modules()
    rows = "\n".join(f"| [`{name}`]({name}.md) | {summary(name)} |" for name in names)
    index = (
        "# API reference\n\n"
        "Generated at build time from the docstrings of `src/mlkit` (one page per module, found by walking "
        "the package). The components run inside pipeline stages; `mlkit.tooling` is the repository "
        "tooling around them. See [mlkit, the library](../reuse.md) for what it is, how to install it "
        "and which module gives what.\n\n::: mlkit\n\n"
        f"| module | what it is |\n| --- | --- |\n{rows}\n"
    )
    files.append(File.generated(config, INDEX, content=index))
    for name in names:
        files.append(File.generated(config, page(name), content=f"# `{name}`\n\n::: {name}\n"))
    return files


def on_page_markdown(markdown, page, config, files, **kwargs):
    return render(markdown, Sources(ROOT), page.file.src_uri)
