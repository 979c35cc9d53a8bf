"""The scale figures of benchmarks/scale.json (`make bench-scale`): the runs at each `data.scale`, each
stage's peak, the engines compared on the data stages' work, and the plot of time and memory."""

from __future__ import annotations

import io

from docsgen.sources import FigureError, Sources, count, seconds, table

RESULTS = "benchmarks/scale.json"
ENGINE_TASKS = {
    "join": "prepare's four left joins, written to Parquet",
    "counts": "the context stage's flights per origin, hour and date",
}


def _runs(src: Sources) -> list[dict]:
    runs = src.json(RESULTS).get("runs", [])
    if not runs:
        raise FigureError(f"{RESULTS} holds no run: `make bench-scale` measures them")
    return runs


def _gb(value: float) -> str:
    return f"{value:.2f} GB"


def scale_runs(src: Sources) -> str:
    """One row per scale: flights, wall time of the whole `dvc repro`, its ratio to 1x, peak memory."""
    runs = _runs(src)
    first = next((run for run in runs if run["scale"] == 1), None)
    rows = []
    for run in runs:
        ratio = f"{run['seconds'] / first['seconds']:.1f}x" if first else ""
        largest = max(run["stages"].items(), key=lambda item: item[1]["peak_gb"])
        rows.append(
            [
                f"{run['scale']}x",
                count(run["flights"]),
                seconds(run["seconds"]),
                ratio,
                _gb(run["peak_gb"]),
                f"`{largest[0]}` {_gb(largest[1]['peak_gb'])}",
            ]
        )
    header = ["scale", "flights", "`dvc repro`", "time over 1x", "peak memory", "largest stage"]
    return table(header, rows, ["r", "r", "r", "r", "r", "l"])


def scale_stages(src: Sources) -> str:
    """Each stage's peak memory (its process and the workers it forks) at each scale."""
    runs = _runs(src)
    stages = list(dict.fromkeys(name for run in runs for name in run["stages"]))
    rows = [
        [f"`{name}`"] + [_gb(run["stages"][name]["peak_gb"]) if name in run["stages"] else "" for run in runs]
        for name in stages
    ]
    return table(["stage", *(f"{run['scale']}x" for run in runs)], rows, ["l", *("r" for _ in runs)])


def scale_targets(src: Sources) -> str:
    """The targets of issue 20 against the committed runs; a scale not run is said to be missing."""
    found = src.json(RESULTS).get("targets", {})
    labels = {
        "peak_gb_10x": "10x: peak memory under 2 GB",
        "peak_gb_100x": "100x: peak memory under 12 GB",
        "time_ratio_100x": "100x: time at most 100 times the 1x time",
    }
    rows = []
    for key, label in labels.items():
        if key in found:
            entry = found[key]
            rows.append([label, f"{entry['measured']}", "yes" if entry["met"] else "**no**"])
        else:
            rows.append([label, "not run", "**no**"])
    return table(["target", "measured", "met"], rows, ["l", "r", "l"])


def engines(src: Sources) -> str:
    """The engines on the same raw tables: seconds and peak memory per task, one thread each."""
    found = src.json(RESULTS).get("engines")
    if not found:
        return "Not in the committed `benchmarks/scale.json` yet: `python -m benchmarks.engines` measures it."
    rows = []
    for task, by_engine in found["tasks"].items():
        for engine, entry in by_engine.items():
            rows.append(
                [ENGINE_TASKS.get(task, task), engine, seconds(entry["seconds"]), _gb(entry["peak_gb"])]
            )
    caption = (
        f"{count(found['flights'])} flights ({found['scale']}x), one thread per engine, a fresh process each."
    )
    return caption + "\n\n" + table(["work", "engine", "time", "peak memory"], rows, ["l", "l", "r", "r"])


def scale_png(src: Sources) -> bytes:
    """Wall time and peak memory of the whole `dvc repro` against the flights, log-log, with the
    targets' lines (12 GB; 100 times the 1x time)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    runs = _runs(src)
    flights = [run["flights"] / 1e6 for run in runs]
    with plt.style.context("default"):
        fig, (time_ax, memory_ax) = plt.subplots(1, 2, figsize=(8.4, 3.6), dpi=100)
        time_ax.plot(flights, [run["seconds"] for run in runs], "o-")
        memory_ax.plot(flights, [run["peak_gb"] for run in runs], "o-", color="#dd8452")
        first = next((run for run in runs if run["scale"] == 1), None)
        if first:
            time_ax.axhline(100 * first["seconds"], linestyle=":", color="grey", label="100 x the 1x time")
            time_ax.legend(loc="upper left", fontsize=8)
        memory_ax.axhline(12, linestyle=":", color="grey", label="12 GB (the 100x target)")
        memory_ax.axhline(24, linestyle="--", color="grey", label="24 GB (the machine)")
        memory_ax.legend(loc="upper left", fontsize=8)
        for ax, ylabel, title in (
            (time_ax, "seconds", "Wall time of `dvc repro`"),
            (memory_ax, "GB", "Peak memory (PSS of the process tree)"),
        ):
            ax.set(xscale="log", yscale="log", xlabel="flights (millions)", ylabel=ylabel, title=title)
            for axis in (ax.xaxis, ax.yaxis):
                axis.set_major_formatter(ScalarFormatter())
                axis.set_minor_formatter(NullFormatter())
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png", metadata={"Software": None})
        plt.close(fig)
    return out.getvalue()
