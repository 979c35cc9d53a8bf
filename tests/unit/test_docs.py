"""The documentation: every figure generated from the committed files, the site built strictly and offline,
README.md short, and the prose that reads the figures still true of them."""

from __future__ import annotations

import ast
import csv
import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
README_LIMIT = 12_000  # bytes: a newcomer reads it in under ten minutes


sys.path.insert(0, str(ROOT))  # docsgen is a top-level package of the repository, like benchmarks

from docsgen import render as figures  # noqa: E402
from docsgen import sweep  # noqa: E402
from docsgen.sources import FigureError, Sources  # noqa: E402

from flights.model.calendar import CALENDAR_FEATURES  # noqa: E402
from flights.model.context import HISTORY_FEATURES  # noqa: E402


def _mkdocs(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_every_generated_figure_is_what_the_committed_files_give():
    stale = [path.relative_to(ROOT).as_posix() for path in figures.stale(ROOT)]
    assert not stale, f"stale figures in {stale}: run `python -m docsgen --write` (or `make docs`)"


def test_a_moved_number_without_its_text_is_caught(tmp_path):
    for relative in ["README.md", "params.yaml", "metrics/evaluate.json", "metrics/split.json"]:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text((ROOT / relative).read_text())
    (tmp_path / "dvc.yaml").write_text((ROOT / "dvc.yaml").read_text())
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks/results.json").write_text((ROOT / "benchmarks/results.json").read_text())
    src = Sources(tmp_path)
    text = README.read_text()
    assert figures.render(text, src) == text
    evaluate = json.loads((tmp_path / "metrics/evaluate.json").read_text())
    evaluate["model"]["roc_auc"] += 0.01
    (tmp_path / "metrics/evaluate.json").write_text(json.dumps(evaluate))
    assert figures.render(text, Sources(tmp_path)) != text


def test_an_unknown_figure_is_named():
    with pytest.raises(FigureError, match=r"page\.md: unknown figure 'nope'"):
        figures.render("<!-- fig:nope --><!-- /fig -->", Sources(ROOT), "page.md")


def test_readme_is_a_short_front_door():
    text = README.read_text()
    assert len(README.read_bytes()) <= README_LIMIT
    assert "make repro" in text and "make test" in text
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text):
        assert (ROOT / image).is_file(), f"README shows {image}, which is not in the repository"
    for link in re.findall(r"\]\((docs/[^)#]+)", text):
        assert (ROOT / link).is_file(), f"README links to {link}, which does not exist"


def _tree_paths(block: str) -> list[str]:
    """The paths a layout tree names: the first field of each line (before a gap of 2+ spaces), nested
    by indentation; a bare module name under a package folder is that package's `.py` file."""
    found, stack = [], []
    for line in block.splitlines():
        if not line.strip():
            continue
        indent = (len(line) - len(line.lstrip())) // 2
        names = re.split(r"\s{2,}", line.strip())[0]
        stack = stack[:indent]
        parent = "".join(stack)
        entries = [n.strip(",") for n in re.split(r",\s*|\s+", names) if n.strip(",")]
        for name in entries:
            if "<" in name or name.startswith("`"):
                continue
            if "." not in name and "/" not in name and parent.startswith("src/"):
                name += ".py"
            found.append(parent + name)
        if len(entries) == 1 and entries[0].endswith("/"):
            stack.append(entries[0])
    return found


@pytest.mark.parametrize("page", ["README.md", "docs/layout.md"])
def test_the_layout_trees_name_real_files(page):
    text = (ROOT / page).read_text()
    tree = re.search(r"## (?:Project layout|Layout[^\n]*)\n.*?```\n(.*?)```", text, re.DOTALL)
    tree = tree or re.search(r"^```\n(.*?)```", text, re.DOTALL | re.MULTILINE)
    missing = [path for path in _tree_paths(tree[1]) if not (ROOT / path).exists()]
    assert not missing, f"{page}'s layout tree names paths that do not exist: {missing}"


def test_the_reuse_page_names_real_modules_and_its_example_imports():
    text = (ROOT / "docs/reuse.md").read_text()
    for module in sorted(set(re.findall(r"`(mlkit(?:\.\w+)+)`", text))):
        path = ROOT / "src" / Path(*module.split("."))
        assert path.with_suffix(".py").is_file() or (path / "__init__.py").is_file(), f"no module {module}"
    for code in re.findall(r"```python\n(.*?)```", text, re.DOTALL):
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mlkit"):
                module = importlib.import_module(node.module)
                for alias in node.names:
                    assert hasattr(module, alias.name), f"{node.module} has no {alias.name}"


def _sweep() -> tuple[list[dict[str, str]], list[str], str]:
    return sweep.sweep_rows(Sources(ROOT))


def test_the_sweep_readings_hold():
    """What docs/experiments.md says when it reads the sweep."""
    rows, _, metric = _sweep()
    valid, test = f"valid {metric}", f"test {metric} (not used to rank)"
    by_name = {r["experiment"]: r for r in rows}
    added = ("history", "max_iter")  # the points added to the nine original settings
    original = [r for r in rows if not any(word in r["experiment"] for word in added)]
    assert len(rows) == 13 and len(original) == 9
    assert f"+{sweep.spearman(*_columns(rows, valid, test)):.2f}" == "+0.62"
    assert f"+{sweep.spearman(*_columns(original, valid, test)):.2f}" == "+0.87"
    committed = by_name["learning_rate-0.1_max_leaf_nodes-63_model-hgb"]
    for column in (valid, test):
        ranked = [r["experiment"] for r in sorted(rows, key=lambda r: -float(r[column]))]
        assert ranked[0] == committed["experiment"] and ranked[-1] == "weather-false_model-hgb", column
        simple = [
            ranked.index(n) + 1 for n in ("c-0.1_model-logreg", "c-1.0_model-logreg", "max_iter-25_model-hgb")
        ]
        assert sorted(simple) == ([10, 11, 12] if column == valid else [7, 8, 9]), (column, simple)
        history = ranked.index("history-false_model-hgb") + 1
        assert history == (9 if column == valid else 12), (column, history)
    dry = by_name["weather-false_model-hgb"]
    assert float(dry[f"valid lift {metric} low"]) < 0 < float(dry[f"valid lift {metric}"]) < 0.005
    baseline = json.loads((ROOT / "metrics/evaluate.json").read_text())["baseline"][metric]
    assert round(float(dry[test]) - baseline, 3) == 0.064
    hgb = [float(r[valid]) for r in rows if "learning_rate" in r["experiment"]]
    assert len(hgb) == 6 and max(hgb) - min(hgb) < 0.005, "the hgb settings no longer lie within 0.005"
    windows = {r["features.history_days"]: r for r in rows if r["features.history_days"]}
    for column in (valid, test):  # the folds choose the committed window of one day; the test months too
        assert all(float(r[column]) < float(committed[column]) for r in windows.values()), column


def _columns(rows: list[dict[str, str]], *columns: str) -> list[list[float]]:
    return [[float(r[column]) for r in rows] for column in columns]


def test_the_drift_reading_holds():
    """docs/delivery.md: a December batch flags weather, calendar and history features, and only those."""
    flagged = json.loads((ROOT / "metrics/drift.json").read_text())["flagged"]
    weather = {"temp", "dewp", "humid", "wind_dir", "wind_speed", "wind_gust", "precip", "pressure", "visib"}
    seasonal = weather | set(CALENDAR_FEATURES) | set(HISTORY_FEATURES)
    assert set(flagged) & weather and set(flagged) <= seasonal


def test_the_sweep_table_is_committed():
    tracked = subprocess.run(
        ["git", "ls-files", "--error-unmatch", sweep.SWEEP], cwd=ROOT, capture_output=True, text=True
    )
    assert tracked.returncode == 0, f"{sweep.SWEEP} must be tracked: the docs read it in a fresh clone"
    with (ROOT / sweep.SWEEP).open(newline="") as handle:
        assert list(csv.DictReader(handle))


def test_the_site_builds_strictly_and_loads_nothing_from_the_network(tmp_path):
    site = tmp_path / "site"
    built = _mkdocs("build", "--strict", "--site-dir", str(site), cwd=ROOT)
    assert built.returncode == 0, built.stdout + built.stderr
    pages = sorted(site.rglob("*.html"))
    assert (site / "reference" / "mlkit.stage.html").exists(), "no API reference page for mlkit.stage"
    remote = re.compile(
        r"<(?:script|img|iframe)[^>]*\ssrc=\"(?:https?:)?//|<link[^>]*\shref=\"(?:https?:)?//"
    )
    for page in pages:
        html = page.read_text()
        assert "fonts.googleapis" not in html and "fonts.gstatic" not in html, page
        assert not remote.search(html), f"{page.relative_to(site)} loads a resource from the network"


# Each case breaks one page of a small site built with this repository's `validation:` block.
BROKEN = {
    "a page missing from the nav": ("orphan.md", "# Orphan\n"),
    "a link to a missing page": ("index.md", "# Home\n\n[x](missing.md)\n"),
    "an absolute link": ("index.md", "# Home\n\n[x](/other.md)\n"),
    "an unrecognized link": ("index.md", "# Home\n\n[x](other)\n"),
    "a broken anchor": ("index.md", "# Home\n\n[x](other.md#nowhere)\n"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_the_validation_block_fails_the_build(tmp_path, case):
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    assert config.get("strict") is True
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n\n[Other](other.md)\n")
    (docs / "other.md").write_text("# Other\n")
    mini = {"site_name": "t", "nav": ["index.md", "other.md"], "validation": config["validation"]}
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(mini))
    assert _mkdocs("build", "--strict", cwd=tmp_path).returncode == 0
    name, text = BROKEN[case]
    (docs / name).write_text(text)
    assert _mkdocs("build", "--strict", cwd=tmp_path).returncode != 0, f"{case} passed the strict build"
