"""The pieces of a generated project: the profile's schema code, the field rules taken from it, the
stratified split, the k-fold plan and the default baseline's choice of columns."""

import numpy as np
import pandas as pd
import pytest
from pandera.errors import SchemaErrors

from mlkit.profile import field_rules, profile, schema_code
from mlkit.tabular import TEST_FOLD, backtest_plan, build_pipeline, choose_group_by, stratified_folds


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = 400
    shop = rng.choice(["north", "south", "east", "west"], rows)
    noise = rng.choice(["a", "b"], rows)
    rate = pd.Series(shop).map({"north": 0.1, "south": 0.4, "east": 0.6, "west": 0.9}).to_numpy()
    return pd.DataFrame(
        {
            "shop": shop,
            "noise": noise,
            "visits": rng.integers(0, 50, rows),
            "spend": np.where(rng.random(rows) < 0.05, np.nan, rng.normal(100, 20, rows)),
            "bought": np.where(rng.random(rows) < rate, "yes", "no"),
        }
    )


def schema_module(frame: pd.DataFrame) -> dict:
    code = schema_code(profile(frame), "shops.csv", len(frame), "bought", ["no", "yes"])
    namespace: dict = {}
    exec(compile(code, "schema.py", "exec"), namespace)
    return namespace


def test_the_written_schema_accepts_its_data_and_states_what_it_saw(frame):
    schema = schema_module(frame)
    schema["HARD"].validate(frame)
    assert schema["SOFT"].validate(frame) is not None
    assert schema["HARD"].columns["spend"].nullable and not schema["HARD"].columns["visits"].nullable
    with pytest.raises(SchemaErrors):  # a value outside the observed range is a soft finding
        schema["SOFT"].validate(frame.assign(visits=frame["visits"] + 1000), lazy=True)
    with pytest.raises(SchemaErrors):  # a new column stops the pipeline
        schema["HARD"].validate(frame.assign(extra=1), lazy=True)


def test_the_input_fields_leave_out_the_target(frame):
    rules = field_rules(schema_module(frame)["HARD"], ["bought"])
    assert [(r.name, r.kind, r.required) for r in rules] == [
        ("shop", str, True),
        ("noise", str, True),
        ("visits", int, True),
        ("spend", float, False),
    ]


def test_the_stratified_split_is_seeded_and_keeps_each_class_share(frame):
    labels = (frame["bought"] == "yes").astype(int)
    folds = stratified_folds(labels, 0.2, 5, seed=3)
    assert np.array_equal(folds, stratified_folds(labels, 0.2, 5, seed=3))
    test = folds == TEST_FOLD
    assert test.mean() == pytest.approx(0.2, abs=0.01)
    assert labels[test].mean() == pytest.approx(labels.mean(), abs=0.02)
    assert sorted(set(folds[~test])) == [0, 1, 2, 3, 4]


def test_k_fold_plan_fits_each_fold_on_the_others():
    plan = backtest_plan({"method": "stratified", "folds": 3})
    assert [(f.period, f.fit_periods) for f in plan.folds] == [(0, (1, 2)), (1, (0, 2)), (2, (0, 1))]


def test_the_baseline_takes_the_informative_column(frame):
    y = (frame["bought"] == "yes").astype(int).to_numpy()
    assert choose_group_by(frame, y, ["noise", "shop"], smoothing=20) == ["shop"]
    assert choose_group_by(frame, y, [], smoothing=20) == []


@pytest.mark.parametrize("family", ["logreg", "hgb"])
def test_each_family_learns_from_the_table(frame, family):
    train = {
        "model": family,
        "logreg": {"C": 1.0, "max_iter": 500, "min_category_rows": 5},
        "hgb": {
            "learning_rate": 0.1,
            "max_iter": 20,
            "max_leaf_nodes": 7,
            "min_samples_leaf": 10,
            "l2_regularization": 0.0,
            "seed": 0,
        },
    }
    features = {"categorical": ["shop", "noise"], "numeric": ["visits", "spend"]}
    pipeline = build_pipeline(train, features).fit(frame, frame["bought"] == "yes")
    proba = pipeline.predict_proba(frame)[:, 1]
    assert proba[frame["shop"] == "west"].mean() > proba[frame["shop"] == "north"].mean()
