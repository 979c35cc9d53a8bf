"""The figures of the data: the tables and their rows, the label, join coverage, what the
exploration found and the split."""

from __future__ import annotations

from docsgen.sources import Sources, cell, count, miss, months, share, table


def tables(src: Sources) -> str:
    """Rows of each raw table as read and as kept (a sample keeps fewer flights)."""
    ingest = src.quality["ingest"]
    rows = [
        [f"`{name}`", count(ingest["rows_read"][name]), count(ingest["rows_kept"][name])]
        for name in ingest["rows_read"]
    ]
    note = (
        f"`data.sample_fraction` = {ingest.get('sample_fraction', 1.0)}; months {months(ingest['months'])}."
    )
    return table(["table", "rows read", "rows kept"], rows, ["l", "r", "r"]) + "\n\n" + note


def label(src: Sources) -> str:
    """Flight status counts and both class rates."""
    prepare = src.quality["prepare"]
    status = prepare["status_counts"]
    total = sum(status.values())
    described = {
        "completed": "arrived: has an arrival delay",
        "cancelled": "no `dep_time`",
        "diverted": "departed, no arrival delay",
    }
    rows = [[name, described.get(name, ""), count(n), share(n / total)] for name, n in status.items()]
    policy = prepare["label_policy"]
    text = (
        f"Label rate under the committed policy (`label.policy: {policy}`): "
        f"**{share(prepare['label_rate'])}**; among completed flights only (the `completed` policy, the BTS "
        f"convention): **{share(prepare['label_rate_completed_only'])}**. "
        f"Rows excluded by the policy: {count(prepare['rows_excluded_by_label_policy'])}."
    )
    return table(["status", "meaning", "flights", "share"], rows, ["l", "l", "r", "r"]) + "\n\n" + text


def coverage(src: Sources) -> str:
    """How many flights find their row in each joined table, and the commonest misses."""
    joins = src.quality["validate"]["join_coverage"]
    floors = src.params.get("validate", {}).get("min_join_coverage", {})
    rows = []
    for name, found in joins.items():
        top = ", ".join(f"{cell(miss(key))} ({count(n)})" for key, n in found.get("top_unmatched", [])[:4])
        floor = floors.get(name)
        rows.append(
            [
                f"`{name}`",
                count(found["matched"]),
                count(found["unmatched"]),
                share(found["coverage"], 2),
                share(floor, 0) if floor is not None else "",
                top or "-",
            ]
        )
    return table(
        [
            "join",
            "matched",
            "unmatched",
            "coverage",
            "floor (`validate.min_join_coverage`)",
            "commonest misses",
        ],
        rows,
        ["l", "r", "r", "r", "r", "l"],
    )


def findings(src: Sources) -> str:
    """What prepare counts and fixes rather than hides."""
    prepare = src.quality["prepare"]
    rows = [
        [f"flights without {name.replace('_', ' ')}", count(n)] for name, n in prepare["rows_without"].items()
    ]
    rows += [
        [f"weather values blanked: {name.replace('_', ' ')}", count(n)]
        for name, n in prepare.get("weather_values_blanked", {}).items()
    ]
    return table(["finding (metrics/data_quality.json, `prepare`)", "flights"], rows, ["l", "r"])


def split(src: Sources) -> str:
    """Rows and class rate of each part of the temporal split."""
    parts = src.json("metrics/split.json")
    params = src.params["split"]
    which = {"train": params["train_months"], "test": params["test_months"]}
    role = {
        "train": "the final model is fitted on these; the backtest's folds "
        f"({months(params['backtest_months'])}) are among them",
        "test": "reported, never used for a choice",
    }
    names = [*(n for n in which if n in parts), *(n for n in parts if n not in which and n != "backtest")]
    rows = [
        [
            f"`{name}`",
            months(which.get(name, [])),
            count(parts[name]["rows"]),
            share(parts[name]["positive_rate"]),
            role.get(name, ""),
        ]
        for name in names
    ]
    outside = src.quality.get("split", {}).get("rows_outside_parts", 0)
    return (
        table(["part", "months", "flights", "disrupted", "role"], rows, ["l", "l", "r", "r", "l"])
        + f"\n\nFlights in months that no part lists: {count(outside)}."
    )
