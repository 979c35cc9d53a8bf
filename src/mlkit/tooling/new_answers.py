"""copier's answers for `make new`: the project's names and what the data decides (the features, the
time split with its backtest folds, the baseline's groups)."""

import pandas as pd

from mlkit.profile import profile
from mlkit.tabular import choose_group_by, periods, time_kind
from mlkit.tooling.new_request import GeneratorError, Request

TEST_SHARE = 0.2  # of the periods (at least one), the last ones
BACKTEST_FOLDS = 3  # the last training periods scored, each by a model fitted on those before it


def time_split(values: pd.Series, kind: str) -> dict[str, list]:
    """The last TEST_SHARE of the periods (at least one) for test, the rest for training, the last
    BACKTEST_FOLDS training periods (leaving at least one before them) as the backtest's folds."""
    found = sorted(periods(values.dropna(), kind).unique().tolist())
    test = max(1, round(TEST_SHARE * len(found)))
    train = found[:-test]
    backtest = train[-min(BACKTEST_FOLDS, len(train) - 1) :]
    as_plain = int if kind == "number" and all(float(p).is_integer() for p in found) else (lambda p: p)
    return {
        name: [as_plain(p) for p in part]
        for name, part in (
            ("train_periods", train),
            ("backtest_periods", backtest),
            ("test_periods", found[-test:]),
        )
    }


def answers(request: Request, frame: pd.DataFrame, classes: list[str], wheel: str) -> dict:
    """copier's answers: the project's names and what the data decides (features, split, baseline)."""
    columns = {c.name: c for c in profile(frame)}
    special = {request.target, request.time}
    categorical = [n for n, c in columns.items() if n not in special and c.kind is str and c.categories]
    numeric = [
        n
        for n, c in columns.items()
        if n not in special and c.kind is not str and not (c.kind is int and frame[n].nunique() == len(frame))
    ]
    ignored = [n for n in columns if n not in special and n not in categorical and n not in numeric]
    if not categorical and not numeric:
        raise GeneratorError(
            "DATA has no column to learn from besides TARGET and TIME "
            f"(left out as ids or free text: {ignored})"
        )
    labelled = frame[frame[request.target].notna()]
    split: dict = {"time_kind": ""}
    fit_rows = labelled
    if request.time:
        kind = time_kind(frame[request.time])
        split = {"time_kind": kind, **time_split(frame[request.time], kind)}
        fit_rows = labelled[periods(labelled[request.time], kind).isin(split["train_periods"])]
    y = (fit_rows[request.target].astype(str) == request.positive).astype(int).to_numpy()
    group_by = choose_group_by(fit_rows, y, categorical, smoothing=20)
    return {
        "project_name": f"{request.name}: {request.target} = {request.positive}",
        "package": request.name,
        "data_file": request.data.name,
        "target": request.target,
        "positive": request.positive,
        "classes": classes,
        "time": request.time or "",
        **split,
        "categorical": categorical,
        "numeric": numeric,
        "ignored": ignored,
        "group_by": group_by,
        "mlkit_wheel": wheel,
    }
