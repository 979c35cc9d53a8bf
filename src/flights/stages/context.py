"""Stage `context`: the booking-time context table (schedule congestion, recent history) of every date,
from the raw flights tallied a part (whole months) at a time."""

import pandas as pd

from flights.model.context import CONTEXT_FIELDS, context_table, tallies
from flights.shared import paths
from flights.shared.params import project_params
from flights.shared.vocabulary import MONTH_OF_YEAR
from mlkit.io import write_parquet
from mlkit.stage import run_stage
from mlkit.streaming import read_by_periods


def main(params: dict) -> None:
    settings = params["features"]
    # every scheduled flight, whatever label.policy keeps; only the fields the table is made of
    months = read_by_periods(paths.raw_table("flights"), MONTH_OF_YEAR, CONTEXT_FIELDS)
    parts = [tallies(flights, params["label"]["delay_minutes"]) for flights in months]
    tallied = {feature: pd.concat([part[feature] for part in parts]) for feature in parts[0]}
    write_parquet(context_table(tallied, settings["history_days"], settings["history_prior"]), paths.CONTEXT)


if __name__ == "__main__":
    run_stage(main, project_params)
