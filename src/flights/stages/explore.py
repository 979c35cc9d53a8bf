"""Stage `explore`: figure tables (DVC plots) and their PNG renderings for the report."""

from functools import partial

from flights.data.explore import FIGURE_COLUMNS, figures
from flights.shared import paths
from flights.shared.params import project_params
from mlkit.io import atomic_dir, read_json, write_csv
from mlkit.plots import bar_chart
from mlkit.runtime import in_parallel
from mlkit.stage import run_stage
from mlkit.streaming import missing_shares, read_columns


def main(params: dict) -> None:
    settings = params["explore"]
    join_coverage = read_json(paths.VALIDATE_METRICS)["join_coverage"]
    flights = read_columns(paths.PREPARED, FIGURE_COLUMNS)  # what they draw, no more
    found = figures(flights, settings, join_coverage, missing_shares(paths.PREPARED))
    with atomic_dir(paths.EXPLORE_PLOTS) as tables, atomic_dir(paths.EXPLORE_FIGURES) as images:
        for name, figure in found.items():
            write_csv(figure.table, tables / f"{name}.csv")
        drawings = [partial(bar_chart, path=images / f"{name}.png", **vars(f)) for name, f in found.items()]
        in_parallel(drawings)


if __name__ == "__main__":
    run_stage(main, project_params)
