"""Stage `explore`: figure tables (DVC plots) and their PNG renderings for the report."""

import pandas as pd

from flights import paths
from flights.explore import figures
from flights.stages import run_stage
from mlkit.io import atomic_dir, write_csv
from mlkit.plots import bar_chart


def main(params: dict) -> None:
    flights = pd.read_parquet(paths.PREPARED)
    found = figures(flights, params["explore"]["top_n"])
    with atomic_dir(paths.EXPLORE_PLOTS) as tables, atomic_dir(paths.EXPLORE_FIGURES) as images:
        for name, figure in found.items():
            write_csv(figure.table, tables / f"{name}.csv")
            bar_chart(figure.table, figure.x, figure.y, figure.title, images / f"{name}.png")


if __name__ == "__main__":
    run_stage(main)
