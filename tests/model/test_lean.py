"""The lean single-flight path gives exactly the saved Pipeline's answers, on real flights.

The rows are the session repo's own data, validated as the service validates them (pydantic `flight_model`,
then its `inputs`), and chosen to cover what the lean code computes by hand: destinations without
airport data, routes never flown to a known destination, missing weather, overnight arrivals, both
daylight-saving switches and destinations that keep standard time all year.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import Repo
from flights.delivery.fast_path import LeanScorer, PipelineScorer, scorer_for
from flights.delivery.inputs import flight_model
from flights.model.features import model_inputs
from flights.model.train import build_pipeline

pytestmark = pytest.mark.slow

UNSEEN_DESTS = ["SJU", "BQN", "STT", "PSE"]  # no row in the airports table
DST_DATES = [(3, 9), (3, 10), (3, 11), (11, 2), (11, 3), (11, 4)]  # 2013's switches: Mar 10, Nov 3
OTHER_ORIGIN = {"EWR": "JFK", "JFK": "LGA", "LGA": "EWR"}  # makes routes the sample never flew


@pytest.fixture(scope="module")
def flights(pipeline_repo: Repo) -> pd.DataFrame:
    """A few hundred real flights of the test months plus the special cases, each case present."""
    root: Path = pipeline_repo.path
    test = pd.read_parquet(root / "data/split/test.parquet")
    prepared = pd.read_parquet(root / "data/prepared/flights.parquet")
    cases = {
        "sample": test.sample(n=300, random_state=0),
        "unseen dest": test[test["dest"].isin(UNSEEN_DESTS)],
        "other origin": test.sample(n=300, random_state=1).assign(
            origin=lambda f: f["origin"].map(OTHER_ORIGIN)
        ),
        "SJU": test[test["dest"] == "SJU"],
        "missing weather": test[test["temp"].isna()],
        "overnight": test[test["sched_arr_time"] < test["sched_dep_time"]],
        "no daylight saving at dest": test[test["dest_dst"] == "N"],  # PHX, HNL
        **{
            f"2013-{month:02d}-{day:02d}": prepared[(prepared["month"] == month) & (prepared["day"] == day)]
            for month, day in DST_DATES
        },
    }
    empty = [name for name, rows in cases.items() if rows.empty]
    assert not empty, f"the session's sample lacks rows for {empty}"
    return pd.concat(cases.values(), ignore_index=True)


def as_requests(frame: pd.DataFrame) -> list[dict]:
    """What the service hands the lean path: each row validated by the request model, then dumped."""
    inputs = frame[model_inputs(weather=True)].astype(object)
    records = inputs.where(inputs.notna(), None).to_dict("records")
    flight = flight_model()  # the rules without a model's categories: every row's codes pass
    return [flight.model_validate(record).inputs() for record in records]


def test_the_cases_hold_unseen_routes_to_known_destinations(pipeline_repo, flights):
    training = pd.read_parquet(pipeline_repo.path / "data/split/train.parquet")
    routes = set(training["origin"] + "-" + training["dest"])
    unseen_route = ~(flights["origin"] + "-" + flights["dest"]).isin(routes)
    assert (unseen_route & flights["dest"].isin(set(training["dest"]))).sum() > 0


def test_lean_probabilities_equal_the_pipeline(model, flights):
    expected = model.predict_proba(flights[model_inputs(weather=True)])[:, 1]
    lean = LeanScorer(model).predict_proba(as_requests(flights))
    assert lean.shape == expected.shape
    assert np.array_equal(lean, expected), f"max abs diff {np.max(np.abs(lean - expected))}"


def test_lean_features_equal_the_pipeline_features(model, flights):
    """Feature by feature, so a difference is found where it starts (NaN in the same places)."""
    expected = model[:-1].transform(flights[model_inputs(weather=True)])
    scorer = LeanScorer(model)
    lean = np.array([scorer.features(flight) for flight in as_requests(flights)])
    names = model[:-1].get_feature_names_out()
    for column, name in enumerate(names):
        assert np.array_equal(lean[:, column], expected[:, column], equal_nan=True), name


def test_one_flight_at_a_time_equals_the_pipeline_on_a_one_row_frame(model, flights):
    """The service's single-flight case: one dict against a one-row DataFrame."""
    scorer = LeanScorer(model)
    some = flights.groupby("dest", sort=True).head(1).head(20)
    for request, (_, row) in zip(as_requests(some), some.iterrows(), strict=True):
        one_row = row.to_frame().T[model_inputs(weather=True)].infer_objects()
        assert scorer.predict_proba([request])[0] == model.predict_proba(one_row)[0, 1], request


def test_dst_switch_days_get_the_pipeline_block_minutes(model, flights):
    """The day of each switch and the days around it compute the destination offset the same way."""
    days = flights[[(m, d) in DST_DATES for m, d in zip(flights["month"], flights["day"], strict=True)]]
    position = list(model[:-1].get_feature_names_out()).index("block_minutes")
    expected = model[:-1].transform(days[model_inputs(weather=True)])[:, position]
    scorer = LeanScorer(model)
    lean = np.array([scorer.features(f)[position] for f in as_requests(days)])
    assert np.array_equal(lean, expected, equal_nan=True)


def test_another_family_is_scored_by_its_pipeline(pipeline_repo: Repo, model, flights):
    fit = pd.read_parquet(pipeline_repo.path / "data/split/train.parquet").sample(n=2000, random_state=0)
    params = pipeline_repo.params()
    context = model.named_steps["schedule"].context_table
    logreg = build_pipeline(params["train"] | {"model": "logreg"}, params["features"], context)
    logreg.fit(fit, fit["disrupted"])
    with pytest.raises(TypeError, match="HistGradientBoosting"):
        LeanScorer(logreg)
    assert isinstance(scorer_for(model), LeanScorer)
    scorer = scorer_for(logreg)
    assert isinstance(scorer, PipelineScorer)
    expected = logreg.predict_proba(flights[model_inputs(weather=True)])[:, 1]
    np.testing.assert_allclose(scorer.predict_proba(as_requests(flights)), expected, rtol=0, atol=1e-12)
