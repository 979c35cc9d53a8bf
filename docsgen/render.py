"""The registry of figures, the markers that hold them in Markdown, and the files they are written to."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docsgen import bench, data, delivery, graph, library, model, scale, sweep
from docsgen.images import IMAGES_MADE
from docsgen.sources import ROOT, FigureError, Sources, count, metric, param, seconds, share

MARKER = re.compile(r"<!-- fig:(?P<name>[a-z0-9_.-]+) -->(?P<body>.*?)<!-- /fig -->", re.DOTALL)

FIGURES: dict[str, Callable[[Sources], str]] = {
    "results": model.results,
    "tables": data.tables,
    "label": data.label,
    "coverage": data.coverage,
    "findings": data.findings,
    "split": data.split,
    "folds": model.folds,
    "importance": model.importance,
    "ablation": model.ablation,
    "gates": model.gates,
    "intervals": model.intervals,
    "batch": delivery.batch,
    "drift": delivery.drift,
    "penguins": library.penguins,
    "benchmarks": bench.benchmarks,
    "stage-times": bench.stage_times,
    "room-edits": bench.room_edits,
    "run-cache": bench.run_cache,
    "targets-met": bench.targets_met,
    "scale-runs": scale.scale_runs,
    "scale-stages": scale.scale_stages,
    "scale-targets": scale.scale_targets,
    "scale-engines": scale.engines,
    "sweep": sweep.sweep,
    "sweep-size": sweep.sweep_size,
    "sweep-agreement": sweep.sweep_agreement,
    "stage-graph": graph.stage_graph,
    "stages": graph.stage_table,
    "make-targets": graph.make_targets,
    "mlkit-package": library.package,
}
INLINE = {"targets-met", "sweep-size", "sweep-agreement"}

VALUE_FORMATS: dict[str, Callable[[Any], str]] = {
    "count": count,
    "share": share,
    "metric": metric,
    "metric3": lambda v: metric(v, 3),
    "seconds": seconds,
}


def value(name: str, src: Sources) -> str:
    """An inline value: `param.<dotted>` from params.yaml, `<format>.<file>.<dotted>` from a metrics file."""
    kind, _, rest = name.partition(".")
    if kind == "param":
        setting = param(src.params, rest)
        if setting is None:
            raise FigureError(f"params.yaml has no {rest}")
        return str(setting).lower() if isinstance(setting, bool) else str(setting)
    stem, _, dotted = rest.partition(".")
    found: Any = src.json("benchmarks/results.json" if stem == "bench" else f"metrics/{stem}.json")
    for part in dotted.split("."):
        if not isinstance(found, dict) or part not in found:
            raise FigureError(f"{stem} has no {dotted}")
        found = found[part]
    return VALUE_FORMATS[kind](found)


def figure(name: str, src: Sources) -> tuple[str, bool]:
    """The rendered figure and whether it is inline."""
    if name in FIGURES:
        return FIGURES[name](src), name in INLINE
    if name.partition(".")[0] in {"param", *VALUE_FORMATS}:
        return value(name, src), True
    raise FigureError(
        f"unknown figure '{name}'; the figures are {sorted(FIGURES)} and values "
        f"{sorted(['param', *VALUE_FORMATS])}.<path>"
    )


def render(text: str, src: Sources, where: str = "") -> str:
    """`text` with every figure between its markers rendered afresh."""

    def replace(match: re.Match) -> str:
        name = match["name"]
        try:
            body, inline = figure(name, src)
        except FigureError as error:
            raise FigureError(f"{where}: {error}") from None
        inner = body if inline else f"\n\n{body}\n\n"
        return f"<!-- fig:{name} -->{inner}<!-- /fig -->"

    return MARKER.sub(replace, text)


def markdown_files(root: Path = ROOT) -> list[Path]:
    """README.md and every page of the docs."""
    return [root / "README.md", *sorted((root / "docs").rglob("*.md"))]


# ------------------------------------------------------------------------------------------------- files
def expected(root: Path = ROOT) -> dict[Path, bytes]:
    """Every generated file's expected content: the Markdown files with their figures rendered, the images."""
    src = Sources(root)
    out: dict[Path, bytes] = {}
    for path in markdown_files(root):
        out[path] = render(path.read_text(), src, path.relative_to(root).as_posix()).encode()
    for name, make in IMAGES_MADE.items():
        out[root / "docs/images" / name] = make(src)
    return out


def stale(root: Path = ROOT) -> list[Path]:
    """The generated files whose committed content differs from what `write` would make of them."""
    return [
        path for path, content in expected(root).items() if not path.exists() or path.read_bytes() != content
    ]


def write(root: Path = ROOT) -> list[Path]:
    """Rewrite every stale file; returns them."""
    changed = []
    for path, content in expected(root).items():
        if not path.exists() or path.read_bytes() != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            changed.append(path)
    return changed
