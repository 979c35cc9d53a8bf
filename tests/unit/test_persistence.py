"""Unit tests of mlkit.persistence: round trips, byte-stable archives, the trusted-type check."""

import hashlib
import json
import pickle
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from builders import synthetic_flights
from conftest import small_train_params
from flights.model.train import TRUSTED_TYPES, build_pipeline
from mlkit.persistence import (
    ZIP_DATE,
    UntrustedModelError,
    canonical_bytes,
    file_md5,
    load_model,
    save_model,
)

TRAIN_PARAMS = small_train_params(max_iter=15)


class Doubler(TransformerMixin, BaseEstimator):
    """A custom type that skops does not know: loading it must need an explicit trust."""

    def fit(self, X, y=None):
        self.fitted_ = True
        return self

    def transform(self, X):
        return np.asarray(X) * 2


def numeric_data(rows: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(0, 1, rows) > 0).astype(int)
    return X, y


def fitted_flights_pipeline(model: str = "hgb") -> Pipeline:
    frame = synthetic_flights(rows=400)
    return build_pipeline(TRAIN_PARAMS | {"model": model}, {"weather": True}).fit(frame, frame["disrupted"])


def fitted_hgb() -> HistGradientBoostingClassifier:
    X, y = numeric_data()
    return HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)


def test_round_trip_gives_identical_probabilities(tmp_path):
    X, y = numeric_data()
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    path = tmp_path / "model.skops"
    save_model(model, path)
    assert sio.get_untrusted_types(file=path) == []
    loaded = load_model(path, trusted=[])
    assert isinstance(loaded, Pipeline)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_save_leaves_only_the_model_file(tmp_path):
    save_model(fitted_hgb(), tmp_path / "models" / "model.skops")
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["model.skops"]


def assert_identical_saves(first, second, folder: Path) -> bytes:
    a, b = folder / "a.skops", folder / "b.skops"
    save_model(first, a)
    save_model(second, b)
    assert a.read_bytes() == b.read_bytes()
    assert file_md5(a) == file_md5(b) == hashlib.md5(a.read_bytes()).hexdigest()
    return a.read_bytes()


def test_identical_gradient_boosting_models_give_identical_bytes(tmp_path):
    data = assert_identical_saves(fitted_hgb(), fitted_hgb(), tmp_path)
    # The hash is a version: a different model must get a different one.
    X, y = numeric_data(seed=1)
    other = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    save_model(other, tmp_path / "other.skops")
    assert (tmp_path / "other.skops").read_bytes() != data
    assert file_md5(tmp_path / "other.skops") != file_md5(tmp_path / "a.skops")


@pytest.mark.parametrize("family", ["hgb", "logreg"])
def test_identical_flights_pipelines_give_identical_bytes(tmp_path, family):
    first, second = fitted_flights_pipeline(family), fitted_flights_pipeline(family)
    assert_identical_saves(first, second, tmp_path)
    loaded = load_model(tmp_path / "a.skops", TRUSTED_TYPES)
    frame = synthetic_flights(rows=100, seed=5)
    np.testing.assert_array_equal(loaded.predict_proba(frame), first.predict_proba(frame))


def test_canonical_bytes_do_not_depend_on_the_object():
    model = fitted_hgb()
    assert canonical_bytes(model) == canonical_bytes(model) == canonical_bytes(fitted_hgb())


@pytest.mark.parametrize("family", ["hgb", "logreg"])
def test_a_model_back_from_a_worker_process_gives_the_same_bytes(family):
    """Pickle (how a forked fit returns its model) does not keep two uses of one float one object."""
    model = fitted_flights_pipeline(family)
    assert canonical_bytes(pickle.loads(pickle.dumps(model))) == canonical_bytes(model)


def test_flights_pipeline_needs_trust(tmp_path):
    path = tmp_path / "model.skops"
    save_model(fitted_flights_pipeline(), path)
    assert set(sio.get_untrusted_types(file=path)) <= set(TRUSTED_TYPES)
    with pytest.raises(UntrustedModelError, match=re.escape("flights.model.features.ScheduleFeatures")):
        load_model(path, trusted=[])
    # Trusting everything but one type is still refused, and the message names that type.
    partial = [t for t in TRUSTED_TYPES if t != "flights.model.features.ScheduleFeatures"]
    with pytest.raises(UntrustedModelError, match="ScheduleFeatures") as error:
        load_model(path, trusted=partial)
    assert "TreePredictor" not in str(error.value)


def test_custom_type_is_refused_until_trusted(tmp_path):
    X, y = numeric_data()
    model = make_pipeline(Doubler(), LogisticRegression()).fit(X, y)
    path = tmp_path / "custom.skops"
    save_model(model, path)
    custom = [t for t in sio.get_untrusted_types(file=path) if t.endswith(".Doubler")]
    assert len(custom) == 1
    with pytest.raises(UntrustedModelError, match=re.escape(custom[0])):
        load_model(path, trusted=TRUSTED_TYPES)
    assert issubclass(UntrustedModelError, ValueError)
    loaded = load_model(path, trusted=custom)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def schema_ids(node, found: list[int]) -> list[int]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "__id__":
                found.append(value)
            schema_ids(value, found)
    elif isinstance(node, list):
        for value in node:
            schema_ids(value, found)
    return found


@pytest.mark.parametrize("make", [fitted_hgb, fitted_flights_pipeline], ids=["hgb", "flights"])
def test_archive_is_canonical(tmp_path, make):
    path = tmp_path / "model.skops"
    save_model(make(), path)
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        schema = json.loads(archive.read("schema.json"))
        raw_schema = archive.read("schema.json").decode()
    assert ZIP_DATE == (1980, 1, 1, 0, 0, 0)
    assert all(info.date_time == ZIP_DATE for info in infos)
    names = [info.filename for info in infos]
    assert names == sorted(names), "members are written in a fixed order"
    assert "schema.json" in names
    arrays = [name for name in names if name != "schema.json"]
    assert arrays and all(re.fullmatch(r"[1-9][0-9]*\.npy", name) for name in arrays)
    # Object ids are renumbered 1..n in order of first appearance; array members share them.
    ids = sorted(set(schema_ids(schema, [])))
    assert ids == list(range(1, len(ids) + 1))
    assert {int(name.removesuffix(".npy")) for name in arrays} <= set(ids)
    assert len(ids) < 10_000  # small numbers, not memory addresses
    files = re.findall(r'"file": "([0-9]+\.npy)"', raw_schema)
    assert sorted(set(files)) == sorted(arrays), "every member is referenced by the schema"
    assert raw_schema == json.dumps(schema, sort_keys=True, indent=1)
