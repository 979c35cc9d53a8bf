"""The sweep of reports/sweep/sweep.csv (written by `make sweep`), the committed settings marked."""

from __future__ import annotations

from docsgen.sources import METRIC_LABELS, FigureError, Sources, metric, param, signed, table

SWEEP = "reports/sweep/sweep.csv"


def _same(cell: str, value: object) -> bool:
    if cell == "":
        return True
    if isinstance(value, bool):
        return cell.lower() == str(value).lower()
    if isinstance(value, int | float):
        try:
            return float(cell) == float(value)
        except ValueError:
            return False
    return cell == str(value)


def sweep_rows(src: Sources) -> tuple[list[dict[str, str]], list[str], str]:
    """The sweep's rows, its swept parameters and the metric it ranked by."""
    rows = src.csv(SWEEP)
    if not rows:
        raise FigureError(f"{SWEEP} has no rows")
    columns = list(rows[0])
    ranked = next(c for c in columns if c.startswith("valid ") and "baseline" not in c and "lift" not in c)
    metric_name = ranked.removeprefix("valid ")
    parameters = [c for c in columns if "." in c and not c.startswith(("valid ", "test "))]
    return rows, parameters, metric_name


def committed(src: Sources, row: dict[str, str], parameters: list[str]) -> bool:
    return all(_same(row[p], param(src.params, p)) for p in parameters)


def sweep(src: Sources) -> str:
    """The ranked sweep, with the committed settings marked and checked against metrics/evaluate.json."""
    rows, parameters, name = sweep_rows(src)
    label_ = METRIC_LABELS.get(name, name)
    header = [
        "settings",
        f"valid {label_}",
        "valid lift",
        "valid log loss",
        f"test {label_} (not used to rank)",
    ]
    body, matches = [], []
    for row in rows:
        is_committed = committed(src, row, parameters)
        settings = row["settings"].replace("train.", "").replace("features.", "") or "(params.yaml)"
        if is_committed:
            settings = f"**{settings} (committed)**"
            matches.append(float(row[f"test {name} (not used to rank)"]))
        body.append(
            [
                settings,
                metric(float(row[f"valid {name}"])),
                signed(float(row[f"valid lift {name}"])),
                metric(float(row["valid log_loss"])),
                metric(float(row[f"test {name} (not used to rank)"])),
            ]
        )
    text = table(header, body, ["l", "r", "r", "r", "r"])
    current = src.evaluate["model"].get(name)
    if matches and current is not None and all(abs(m - current) > 5e-5 for m in matches):
        text += (
            f"\n\n**This sweep predates the committed model**: its row of the committed settings reads test "
            f"{label_} {metric(matches[0])}, `metrics/evaluate.json` {metric(current)}. Re-run `make sweep` "
            "and commit `reports/sweep/sweep.csv`."
        )
    return text


def sweep_size(src: Sources) -> str:
    """Inline: the number of experiments in the committed sweep."""
    return str(len(sweep_rows(src)[0]))


def _ranks(values: list[float]) -> list[float]:
    """Ranks from 1, ties sharing their mean rank (as pandas' rank and Spearman's coefficient use)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for i in order[start : end + 1]:
            ranks[i] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def spearman(a: list[float], b: list[float]) -> float:
    """Spearman's rank correlation: the Pearson correlation of the ranks."""
    ra, rb = _ranks(a), _ranks(b)
    mean_a, mean_b = sum(ra) / len(ra), sum(rb) / len(rb)
    cov = sum((x - mean_a) * (y - mean_b) for x, y in zip(ra, rb, strict=True))
    var_a = sum((x - mean_a) ** 2 for x in ra)
    var_b = sum((y - mean_b) ** 2 for y in rb)
    return cov / (var_a * var_b) ** 0.5


def sweep_agreement(src: Sources) -> str:
    """Inline: Spearman's rank correlation between the sweep's validation and test rankings (what
    `make sweep` prints)."""
    rows, _, name = sweep_rows(src)
    if len(rows) < 2:
        raise FigureError(f"{SWEEP} has fewer than two rows: no ranking to compare")
    valid = [float(row[f"valid {name}"]) for row in rows]
    test = [float(row[f"test {name} (not used to rank)"]) for row in rows]
    return f"{spearman(valid, test):+.2f}"
