"""Stage `prepare`: cleaned, joined, labelled flights and the account of their rows, a part (whole
months) at a time so that memory stays bounded as the flights grow."""

from collections import Counter

from flights.data.prepare import account, clean_weather, prepare_part
from flights.data.tables import TABLES
from flights.shared import paths
from flights.shared.params import project_params
from flights.shared.vocabulary import MONTH_OF_YEAR
from mlkit.io import read_parquet, write_json
from mlkit.stage import run_stage
from mlkit.streaming import read_by_periods, write_parquet_parts


def main(params: dict) -> None:
    reference = {table: read_parquet(paths.raw_table(table)) for table in TABLES if table != "flights"}
    reference["weather"], blanked = clean_weather(reference["weather"])
    counts: Counter[str] = Counter()

    def parts():
        for flights in read_by_periods(paths.raw_table("flights"), MONTH_OF_YEAR):
            table, part_counts = prepare_part(flights, reference, params["label"])
            counts.update(part_counts)
            yield table

    write_parquet_parts(parts(), paths.PREPARED)
    write_json(account(counts, blanked, params["label"]), paths.PREPARE_METRICS)


if __name__ == "__main__":
    run_stage(main, project_params)
