"""The figures of what end users get: the batch the `score` stage scored and its drift."""

from __future__ import annotations

from docsgen.sources import Sources, count, metric, share, table


def batch(src: Sources) -> str:
    """What the committed `score` stage scored."""
    score = src.json("metrics/score.json")
    month = src.params.get("score", {}).get("month")
    rows = [
        ["rows in the batch", count(score["rows"])],
        ["scored", count(score["scored"])],
        ["rejected (quarantined)", f"{count(score['rejected'])} ({share(score['rejected_share'], 2)})"],
        ["flagged as disrupted", share(score["flagged_share"])],
        ["mean probability", metric(score["mean_probability"], 3)],
        ["flights lacking some weather", count(score.get("missing_weather", 0))],
        ["flights to a destination unseen in training", count(score.get("unseen_dest", 0))],
        ["threshold", metric(score["threshold"], 3)],
    ]
    return table([f"`score` stage (`score.month: {month}`)", "value"], rows, ["l", "r"])


def drift(src: Sources) -> str:
    """Features the `monitor` stage flags, with their population stability index."""
    found = src.json("metrics/drift.json")
    flag = src.params.get("monitor", {}).get("psi_flag")
    features = found["features"]
    rows = [
        [f"`{name}`", f"{features[name]['psi']:.3f}"]
        for name in sorted(features, key=lambda n: -features[n]["psi"])
        if features[name]["flagged"]
    ]
    score = found.get("score", {})
    text = (
        f"{count(found['batch_rows'])} scored flights against {count(found['reference_rows'])} training "
        f"flights; flag at PSI >= {flag}. Flagged: {len(rows)} of {len(features)} features; the score "
        f"distribution's PSI is {score.get('psi', float('nan')):.3f}"
        f"{' (flagged)' if score.get('flagged') else ''}."
    )
    if not rows:
        return text
    return text + "\n\n" + table(["flagged feature", "PSI"], rows, ["l", "r"])
