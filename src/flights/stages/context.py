"""Stage `context`: the booking-time context table (schedule congestion, recent history) of every date."""

from flights.model.context import CONTEXT_FIELDS, build_context
from flights.shared import paths
from flights.shared.params import project_params
from mlkit.io import read_parquet, write_parquet
from mlkit.stage import run_stage


def main(params: dict) -> None:
    settings = params["features"]
    # every scheduled flight, whatever label.policy keeps; only the fields the table is made of
    flights = read_parquet(paths.raw_table("flights"), columns=CONTEXT_FIELDS)
    table = build_context(
        flights, settings["history_days"], settings["history_prior"], params["label"]["delay_minutes"]
    )
    write_parquet(table, paths.CONTEXT)


if __name__ == "__main__":
    run_stage(main, project_params)
