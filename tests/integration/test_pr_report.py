"""The pull-request report: pure unit tests of `mlkit.tooling` (gates, markdown, git, plots), then the real
`python -m flights.tooling.pr_report --base <rev>` in temp git + DVC repos on a 5% sample (slow).

The slow tests share module-scoped repos: one base (a copy of the session's reproduced
`pipeline_repo`) and one copy per pull request built on it, each reproduced and reported once.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import PROJECT, Repo, clone_repo, tool_env
from flights.shared import paths
from flights.tooling import pr_report as flights_report
from mlkit.config import ParamError
from mlkit.metrics import METRICS
from mlkit.tooling import gates, git, markdown, pr_format, verify
from mlkit.tooling import pr_report as pr
from mlkit.tooling.verify import CLEAN_REPRO

PNG = b"\x89PNG\r\n\x1a\n"
REPORT = paths.PR_REPORT
GATED, REPORTED = (
    "Metrics: validation, the backtest's fold mean (gated)",
    "Metrics: test months (reported, never gated)",
)
COMPARED = " ".join(path.as_posix() for path in paths.REPRODUCED)  # what the gate compares
CURVES = ("roc", "precision_recall", "calibration")
TOLERANCE = {"roc_auc": 0.005, "average_precision": 0.005, "log_loss": 0.005, "brier": 0.003}


# ------------------------------------------------------------------------------ unit: verdicts
def test_verdict_follows_each_metrics_direction() -> None:
    assert gates.verdict("roc_auc", 0.70, 0.71) == gates.BETTER
    assert gates.verdict("roc_auc", 0.70, 0.69) == gates.WORSE
    assert gates.verdict("log_loss", 0.50, 0.49) == gates.BETTER  # lower is better
    assert gates.verdict("log_loss", 0.50, 0.51) == gates.WORSE
    assert gates.verdict("brier", 0.18, 0.17) == gates.BETTER
    assert gates.verdict("log_loss", 0.50, 0.52, tolerance=0.005) == gates.REGRESSION
    assert gates.verdict("log_loss", 0.52, 0.50, tolerance=0.005) == gates.BETTER
    assert gates.verdict("roc_auc", 0.70, 0.68, tolerance=0.005) == gates.REGRESSION


def test_verdict_tolerance_boundary_is_allowed() -> None:
    # worse by exactly the tolerance is "worse", by a hair more is a REGRESSION (both directions)
    assert gates.verdict("roc_auc", 0.700, 0.695, tolerance=0.005) == gates.WORSE
    assert gates.verdict("roc_auc", 0.700, 0.694999, tolerance=0.005) == gates.REGRESSION
    assert gates.verdict("log_loss", 0.500, 0.505, tolerance=0.005) == gates.WORSE
    assert gates.verdict("log_loss", 0.500, 0.505001, tolerance=0.005) == gates.REGRESSION
    assert gates.verdict("brier", 0.180, 0.183, tolerance=0.003) == gates.WORSE
    assert gates.verdict("roc_auc", 0.7, 0.69, tolerance=0.0) == gates.REGRESSION
    assert gates.verdict("roc_auc", 0.7, 0.7, tolerance=0.0) == gates.UNCHANGED


def test_unchanged_means_zero_at_the_reports_precision() -> None:
    assert gates.verdict("roc_auc", 0.7, 0.70004) == gates.UNCHANGED
    assert gates.verdict("roc_auc", 0.7, 0.69996) == gates.UNCHANGED
    assert gates.verdict("roc_auc", 0.7, 0.7001) == gates.BETTER
    assert pr_format.fmt_signed(0.69996 - 0.7) == "+0.0000"  # never "-0.0000"


def test_missing_base_gives_na_and_skips_the_regression_gate() -> None:
    head = {"roc_auc": 0.68, "log_loss": 0.54}
    assert gates.verdict("roc_auc", None, 0.68) == pr_format.NA
    assert gates.verdict("roc_auc", float("nan"), 0.68) == pr_format.NA
    rows = markdown.compare_metrics(None, head, {"roc_auc": 0.6, "log_loss": 0.57}, tolerance=TOLERANCE)
    assert [row.metric for row in rows] == ["roc_auc", "log_loss"]  # METRICS order
    assert all(row.base is None and row.delta is None and row.verdict == pr_format.NA for row in rows)
    assert rows[0].lift == pytest.approx(0.08) and rows[1].lift == pytest.approx(-0.03)
    skipped = gates.regression_gates(None, head, TOLERANCE)
    assert len(skipped) == 1 and skipped[0].passed and "skipped" in skipped[0].detail
    table = markdown.metrics_table(rows)
    assert "| roc_auc | higher | n/a | 0.6800 | n/a | 0.6000 | +0.0800 | n/a |" in table


def test_compare_metrics_prefers_the_stored_lift_and_marks_regressions() -> None:
    base = {"roc_auc": 0.70, "log_loss": 0.50, "accuracy": 0.6}
    head = {"roc_auc": 0.69, "log_loss": 0.49, "accuracy": 0.6}
    rows = markdown.compare_metrics(base, head, {"roc_auc": 0.6}, {"roc_auc": 0.0899}, TOLERANCE)
    by_name = {row.metric: row for row in rows}
    assert by_name["roc_auc"].verdict == gates.REGRESSION
    assert by_name["roc_auc"].lift == 0.0899
    assert by_name["log_loss"].verdict == gates.BETTER
    assert by_name["accuracy"].verdict == gates.UNCHANGED  # no tolerance: never a REGRESSION
    assert by_name["roc_auc"].delta == pytest.approx(-0.01)
    assert "**REGRESSION**" in markdown.metrics_table(rows)


# ------------------------------------------------------------------------------ unit: gates
def test_regression_gates() -> None:
    base = {"roc_auc": 0.700, "average_precision": 0.5, "log_loss": 0.500, "brier": 0.180}
    head = {"roc_auc": 0.695, "average_precision": 0.49, "log_loss": 0.499, "brier": 0.1831}
    by_subject = {gate.subject: gate for gate in gates.regression_gates(base, head, TOLERANCE)}
    assert by_subject["roc_auc"].passed  # exactly the tolerance
    assert not by_subject["average_precision"].passed
    assert by_subject["log_loss"].passed and by_subject["log_loss"].value == pytest.approx(0.001)
    assert not by_subject["brier"].passed  # lower is better: 0.1831 is worse by 0.0031 > 0.003
    assert [g.subject for g in gates.failures(list(by_subject.values()))] == ["average_precision", "brier"]
    missing = gates.regression_gates(base, {"roc_auc": 0.7}, {"roc_auc": 0.005, "brier": 0.003})
    assert [(g.subject, g.passed) for g in missing] == [("roc_auc", True), ("brier", False)]


def test_lift_gates_use_the_better_direction() -> None:
    model = {"roc_auc": 0.68, "log_loss": 0.54}
    baseline = {"roc_auc": 0.60, "log_loss": 0.57}
    passed = gates.lift_gates(model, baseline, {"roc_auc": 0.05, "log_loss": 0.0})
    assert all(g.passed for g in passed)
    assert passed[1].value == pytest.approx(0.03)  # log loss 0.03 lower: an improvement
    worse = gates.lift_gates(
        {"roc_auc": 0.64, "log_loss": 0.58}, baseline, {"roc_auc": 0.05, "log_loss": 0.0}
    )
    assert [(g.subject, g.passed) for g in worse] == [("roc_auc", False), ("log_loss", False)]
    boundary = gates.lift_gates({"roc_auc": 0.65}, {"roc_auc": 0.60}, {"roc_auc": 0.05})
    assert boundary[0].passed
    missing = gates.lift_gates({"roc_auc": 0.7}, None, {"roc_auc": 0.05})
    assert not missing[0].passed and "baseline" in missing[0].detail


def test_reproducibility_gate() -> None:
    command = " ".join(CLEAN_REPRO)
    clean = git.reproducibility_gate(
        git.ReproCheck(command, "dvc.lock", clean=True, ran=True, identical=True)
    )
    assert clean.passed and "not a clean run" not in clean.detail
    changed = git.reproducibility_gate(git.ReproCheck(command, "dvc.lock", True, True, False, "diff"))
    assert not changed.passed and "changed the committed dvc.lock" in changed.detail
    assert not git.reproducibility_gate(git.ReproCheck(command, "dvc.lock", True, False, True)).passed
    reused = git.reproducibility_gate(
        git.ReproCheck("dvc repro", "dvc.lock", clean=False, ran=True, identical=True)
    )
    assert reused.passed and "not a clean run" in reused.detail  # --reuse: said, not hidden


def test_a_failing_git_is_not_read_as_nothing_changed(tmp_path: Path, monkeypatch) -> None:
    """Outside a repository git fails with empty stdout: that must not read as "identical"."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))  # no repository above tmp_path
    with pytest.raises(RuntimeError, match=r"git .* failed: fatal: not a git repository"):
        verify.changed(["dvc.lock"])


def test_validate_gates_reads_the_projects_params_and_rejects_bad_ones() -> None:
    params = yaml.safe_load((PROJECT / "params.yaml").read_text())
    tolerance, min_lift = gates.validate_gates(params["gates"])
    assert set(tolerance) <= set(METRICS) and set(min_lift) <= set(METRICS)
    assert "roc_auc" in tolerance and "roc_auc" in min_lift
    with pytest.raises(ParamError, match=r"gates\.tolerance\.auc"):
        gates.validate_gates({"tolerance": {"auc": 0.01}})
    with pytest.raises(ParamError, match=r"gates\.tolerance\.roc_auc"):
        gates.validate_gates({"tolerance": {"roc_auc": -0.01}})
    with pytest.raises(ParamError, match=r"gates\.min_lift\.log_loss"):
        gates.validate_gates({"min_lift": {"log_loss": "a lot"}})
    with pytest.raises(ParamError):
        gates.validate_gates(None)


# ------------------------------------------------------------------------------ unit: rendering
def test_number_formats() -> None:
    assert pr_format.fmt_value(0.123456) == "0.1235"
    assert pr_format.fmt_value(12664) == "12,664"
    assert all(pr_format.fmt_value(missing) == "n/a" for missing in (None, float("nan"), True))
    assert pr_format.fmt_signed(-0.00123) == "-0.0012"
    assert pr_format.fmt_signed(0.0125) == "+0.0125"
    assert pr_format.fmt_signed(-25) == "-25"
    assert pr_format.fmt_signed(1500) == "+1,500"
    assert pr_format.fmt_signed(None) == "n/a"


def test_markdown_table_escapes_and_aligns() -> None:
    table = markdown.markdown_table(["a", "b"], [["x|y", 1]], "lr")
    assert table == "| a | b |\n| :--- | ---: |\n| x\\|y | 1 |\n"


def test_params_rows_from_dvc_params_diff_json() -> None:
    diff = {
        "params.yaml": {
            "train.hgb.max_iter": {"old": 100, "new": 50, "diff": -50},
            "features.weather": {"old": True, "new": False},
            "split.test_months": {"old": [11, 12], "new": None},
        }
    }
    assert markdown.params_rows(diff) == [
        ["features.weather", "true", "false"],
        ["split.test_months", "[11, 12]", "(absent)"],
        ["train.hgb.max_iter", "100", "50"],
    ]
    assert markdown.params_rows({}) == []


def test_value_rows_with_and_without_base() -> None:
    head = {"split": {"test": {"rows": 2771, "positive_rate": 0.2685}}}
    base = {"split": {"test": {"rows": 2800, "positive_rate": 0.27}}}
    fields = [("test rows", "split.test.rows"), ("test class rate", "split.test.positive_rate")]
    assert markdown.value_rows(base, head, fields) == [
        ["test rows", "2,800", "2,771", "-29"],
        ["test class rate", "0.2700", "0.2685", "-0.0015"],
    ]
    assert markdown.value_rows({"split": None}, head, fields)[0] == ["test rows", "n/a", "2,771", "n/a"]


def _report(checks: list[gates.Gate]) -> str:
    rows = markdown.compare_metrics({"roc_auc": 0.7}, {"roc_auc": 0.68}, {"roc_auc": 0.6}, None, TOLERANCE)
    return markdown.render_report(
        "PR",
        "`main`",
        "workspace",
        checks,
        {"Metrics": rows},
        [["train.hgb.max_iter", "100", "50"]],
        [["test rows", "1", "2", "+1"]],
        [markdown.Image("ROC", "pr/roc.png")],
        git.ReproCheck("dvc repro", "dvc.lock", False, True, True),
    )


def test_render_report_is_deterministic_and_names_failures() -> None:
    failing = gates.regression_gates({"roc_auc": 0.7}, {"roc_auc": 0.68}, {"roc_auc": 0.005})
    text = _report(failing)
    assert text == _report(failing)
    assert "**Result: FAIL**" in text
    assert "- regression vs base: roc_auc: 0.7000 -> 0.6800: worse than the tolerance" in text
    assert "![ROC](pr/roc.png)" in text
    assert "| train.hgb.max_iter | 100 | 50 |" in text
    assert "identical" in text.split("## Reproducibility")[1]
    assert "**Result: PASS**" in _report(gates.lift_gates({"roc_auc": 0.7}, {"roc_auc": 0.6}, {}))


def test_fetch_hint_names_the_exact_command() -> None:
    command = "git fetch --depth 1 origin main:refs/remotes/origin/main"
    assert git.fetch_hint("origin/main") == command
    assert git.fetch_hint("refs/remotes/origin/main") == command
    assert git.fetch_hint("main") == command
    assert git.fetch_hint("origin/release/1.2") == (
        "git fetch --depth 1 origin release/1.2:refs/remotes/origin/release/1.2"
    )
    assert git.fetch_hint("0123456789abcdef") == "git fetch --depth 1 origin 0123456789abcdef"
    assert [git.fetched_rev(rev) for rev in ("main", "origin/main", "0123456789abcdef")] == [
        "origin/main", "origin/main", "0123456789abcdef"
    ]  # fmt: skip


def test_the_bases_gates_judge_a_change_to_them() -> None:
    strict = {"tolerance": {"roc_auc": 0.005}, "min_lift": {"roc_auc": 0.05}}
    loose = {"tolerance": {"roc_auc": 1.0}, "min_lift": {}}
    assert gates.gates_in_force(strict, strict) == (strict, None)
    in_force, note = gates.gates_in_force(strict, loose)
    assert in_force == strict and "base's gates apply" in note
    assert gates.gates_in_force(None, loose) == (loose, None)  # a base from before the gates existed


def test_overlay_plot_is_a_byte_stable_png(tmp_path: Path) -> None:
    head = pr.read_curve("fpr,tpr\n0,0\n0.2,0.5\n1,1\n")
    base = pr.read_curve("fpr,tpr\n0,0\n0.3,0.5\n1,1\n")
    assert pr.read_curve(None) is None
    for name in ("a", "b"):
        pr.overlay_plot("roc", base, head, tmp_path / f"{name}.png", "ROC", reference=head)
    calibration = pd.DataFrame({"predicted": [0.1, 0.5], "observed": [0.2, 0.4]})
    pr.overlay_plot("calibration", None, calibration, tmp_path / "first.png", "calibration")
    assert (tmp_path / "a.png").read_bytes().startswith(PNG)
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert (tmp_path / "first.png").read_bytes().startswith(PNG)


# ------------------------------------------------------------------------------ orchestration
def test_run_reports_on_a_project_with_the_pipeline_run_stubbed(tmp_path: Path, monkeypatch) -> None:
    """`mlkit.tooling.pr_report.run` on the flights Project, fast: git, `dvc params diff`, the figures and
    the exit code are real, the reproducing run is stubbed (the slow tests below run it)."""
    project = flights_report.PROJECT
    root = tmp_path / "repo"
    curves = [project.curve_csv(curve, who) for curve in CURVES for who in ("model", "baseline")]
    for relative in (
        project.params,
        Path("dvc.yaml"),
        project.metrics,
        *project.data_sources.values(),
        *curves,
    ):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes((PROJECT / relative).read_bytes())
    repo = Repo(root, tool_env(root))
    repo.run("git", "init", "-q")
    repo.run("git", "config", "user.email", "tests@example.invalid")
    repo.run("git", "config", "user.name", "pipeline tests")
    repo.run("git", "config", "commit.gpgsign", "false")
    repo.dvc("init", "-q")
    repo.commit("base")
    repo.run("git", "tag", "base")
    max_iter = repo.params()["train"]["hgb"]["max_iter"]
    repo.set_params({"train.hgb.max_iter": max_iter + 25})
    metrics = json.loads((root / project.metrics).read_text())
    metrics["validation"]["model"]["roc_auc"] -= 0.02
    (root / project.metrics).write_text(json.dumps(metrics, indent=2))
    repo.commit("a worse model")

    monkeypatch.chdir(root)
    monkeypatch.setenv("PATH", repo.env["PATH"])
    stub = git.ReproCheck("dvc repro", COMPARED, clean=False, ran=True, identical=True)
    monkeypatch.setattr(pr, "repro_check", lambda reproduced, clean=True: stub)
    assert pr.run(project, "base", clean=False) == 1
    text = (root / project.report).read_text()
    assert text.startswith(f"# {project.title}\n\n**Result: FAIL** - base: `base` (")
    assert "- regression vs base: roc_auc:" in text
    assert {row["verdict"] for row in table(text, GATED) if row["metric"] == "roc_auc"} == {"**REGRESSION**"}
    assert table(text, "Params diff") == [
        {"param": "train.hgb.max_iter", "base": str(max_iter), "this change": str(max_iter + 25)}
    ]
    data = table(text, "Data")
    assert [row["quantity"] for row in data] == [label for label, _ in project.data_fields]
    assert all(row["base"] != "n/a" and row["delta"] != "n/a" for row in data)
    for curve in CURVES:
        assert f"(pr/{curve}.png)" in text
        assert (root / project.figures / f"{curve}.png").read_bytes().startswith(PNG)
    assert pr.run(project, "origin/nope") == 2  # a missing base: before any work


# ------------------------------------------------------------------------------ integration
@dataclass
class Report:
    """One run of `python -m flights.tooling.pr_report` in a repo, with the report it wrote."""

    repo: Repo
    result: subprocess.CompletedProcess
    markdown: str

    def table(self, heading: str) -> list[dict[str, str]]:
        return table(self.markdown, heading)

    def failed_lines(self) -> list[str]:
        return [line for line in self.result.stderr.splitlines() if line.startswith("pr-report: FAIL")]


def run_report(repo: Repo, base: str, clean: bool = False) -> Report:
    """The report; with `--reuse` unless `clean`: the pull requests below are reproduced when made."""
    flags = [] if clean else ["--reuse"]
    result = repo.run(sys.executable, "-m", "flights.tooling.pr_report", "--base", base, *flags, check=False)
    path = repo.path / REPORT
    return Report(repo, result, path.read_text() if path.exists() else "")


def table(markdown: str, heading: str) -> list[dict[str, str]]:
    """The first markdown table under `## heading`, as dicts keyed by the header."""
    section = markdown.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]

    def cells(line: str) -> list[str]:
        return [cell.strip() for cell in line.strip("|").split(" | ")]

    header = cells(lines[0])
    return [dict(zip(header, cells(line), strict=True)) for line in lines[2:]]


def evaluate_json(repo: Repo, rev: str | None = None) -> dict:
    if rev is None:
        return json.loads((repo.path / "metrics/evaluate.json").read_text())
    return json.loads(repo.run("git", "show", f"{rev}:metrics/evaluate.json").stdout)


def expected_verdict(
    metric: str, base: float, head: float, tolerance: float | None, interval: tuple | None = None
) -> str:
    """Independent of mlkit.tooling.gates: the rule as the issue states it (with the `interval` of
    head - base: inconclusive when it straddles the tolerance)."""
    sign = 1 if METRICS[metric] == "higher" else -1
    gain = sign * (head - base)
    worst, best = sorted(sign * end for end in interval) if interval else (gain, gain)
    if tolerance is not None and -gain > tolerance + 1e-9:
        return "**REGRESSION**" if best < 0 else "inconclusive"
    if tolerance is not None and -worst > tolerance + 1e-9:
        return "inconclusive"
    if round(abs(gain), 4) == 0:
        return "unchanged"
    return "better" if gain > 0 else "worse"


def signed(value: float) -> str:
    return f"{round(value, 4) + 0.0:+.4f}"


def assert_plots(report: Report) -> None:
    for curve in CURVES:
        assert f"(pr/{curve}.png)" in report.markdown
        png = report.repo.path / REPORT.parent / "pr" / f"{curve}.png"
        assert png.read_bytes().startswith(PNG), png


def pull_request(base: Repo, folder: Path, overrides: dict) -> Repo:
    """A copy of the base repo with changed params, reproduced and committed."""
    repo = clone_repo(base, folder)
    repo.set_params(overrides)
    repo.repro()
    return repo


@pytest.fixture(scope="module")
def base_repo(pipeline_repo: Repo, tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """A copy of the session's reproduced repo; its HEAD (tag `pr-base`) is every PR's base."""
    repo = clone_repo(pipeline_repo, tmp_path_factory.mktemp("pr-base"))
    repo.run("git", "tag", "-f", "pr-base")
    return repo


@pytest.fixture(scope="module")
def changed(base_repo: Repo, tmp_path_factory: pytest.TempPathFactory) -> Report:
    max_iter = base_repo.params()["train"]["hgb"]["max_iter"]
    overrides = {"train.hgb.max_iter": max_iter + 25}
    repo = pull_request(base_repo, tmp_path_factory.mktemp("pr-changed"), overrides)
    return run_report(repo, "pr-base")


@pytest.fixture(scope="module")
def worse(base_repo: Repo, tmp_path_factory: pytest.TempPathFactory) -> Report:
    overrides = {"features.weather": False, "train.hgb.max_iter": 2}
    repo = pull_request(base_repo, tmp_path_factory.mktemp("pr-worse"), overrides)
    return run_report(repo, "pr-base")


@pytest.fixture(scope="module")
def noise(base_repo: Repo, tmp_path_factory: pytest.TempPathFactory) -> Report:
    """One more tree: the predictions move a little (below 200,000 rows another seed would not)."""
    max_iter = base_repo.params()["train"]["hgb"]["max_iter"]
    repo = pull_request(base_repo, tmp_path_factory.mktemp("pr-noise"), {"train.hgb.max_iter": max_iter + 1})
    return run_report(repo, "pr-base")


@pytest.fixture(scope="module")
def relabelled(base_repo: Repo, tmp_path_factory: pytest.TempPathFactory) -> Report:
    """Another label: late is now 30 minutes, not 15; the base's metrics describe other labels."""
    repo = pull_request(base_repo, tmp_path_factory.mktemp("pr-label"), {"label.delay_minutes": 30})
    return run_report(repo, "pr-base")


@pytest.fixture(scope="module")
def hand_edited(base_repo: Repo, tmp_path_factory: pytest.TempPathFactory) -> Report:
    """A PR whose ROC AUC was raised by hand, with dvc.lock edited to match: `dvc status` finds nothing
    wrong, and only a clean run shows that the code does not produce the committed numbers."""
    repo = clone_repo(base_repo, tmp_path_factory.mktemp("pr-lock"))
    metrics = repo.path / "metrics/evaluate.json"
    honest = metrics.read_bytes()
    raised = json.loads(honest)
    raised["model"]["roc_auc"] = round(raised["model"]["roc_auc"] + 0.01, 6)
    fudged = (json.dumps(raised, indent=2, sort_keys=True) + "\n").encode()
    metrics.write_bytes(fudged)
    entry = "md5: {}\n      size: {}"
    lock = repo.path / "dvc.lock"
    text = lock.read_text()
    assert entry.format(hashlib.md5(honest).hexdigest(), len(honest)) in text
    lock.write_text(
        text.replace(
            entry.format(hashlib.md5(honest).hexdigest(), len(honest)),
            entry.format(hashlib.md5(fudged).hexdigest(), len(fudged)),
        )
    )
    assert "up to date" in repo.dvc("status").stdout  # consistent: plain `dvc repro` would run nothing
    repo.commit("a better ROC AUC, by hand")
    return run_report(repo, "pr-base", clean=True)


@pytest.fixture(scope="module")
def first_pr(base_repo: Repo, tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, Report]:
    """Against a root commit that holds no metrics/ and no plots/ yet: once as is, once against a root
    commit whose gates ask a min_lift the model cannot reach (the lift gate applies on a first PR too,
    with the base's gates)."""
    repo = clone_repo(base_repo, tmp_path_factory.mktemp("pr-first"))
    env = {**repo.env, "GIT_INDEX_FILE": str(repo.path / ".git" / "first-index")}

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=repo.path, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    git("read-tree", "HEAD")
    git("rm", "-r", "-q", "--cached", "metrics", "plots")
    first = git("commit-tree", git("write-tree"), "-m", "first commit: no metrics yet")
    git("update-ref", "refs/heads/first", first)
    passing = run_report(repo, "first")
    repo.set_params({"gates.min_lift.roc_auc": 0.5})  # gates are read by no stage: lock unchanged
    git("add", "params.yaml")
    strict = git("commit-tree", git("write-tree"), "-m", "first commit, with a min_lift no model reaches")
    git("update-ref", "refs/heads/first-strict", strict)
    repo.run("git", "checkout", "-q", "--", "params.yaml")
    failing = run_report(repo, "first-strict")  # the base's gates judge the change, not the head's
    return passing, failing


@pytest.mark.slow
def test_param_change_report_shows_deltas_and_verdicts(changed: Report) -> None:
    base = evaluate_json(changed.repo, "pr-base")
    head = evaluate_json(changed.repo)
    tolerance = changed.repo.params()["gates"]["tolerance"]
    verdicts = {}
    # the test months' lift carries its interval (metrics/intervals.json)
    found = json.loads((changed.repo.path / paths.INTERVALS).read_text())
    test_intervals = found["test"]["lift"]
    # the backtest's fold mean is gated (tolerances apply); the test months are reported, never a REGRESSION
    for heading, section, tolerances in ((GATED, base["validation"], tolerance), (REPORTED, base, {})):
        current = head["validation"] if heading == GATED else head
        intervals = found["test" if heading == REPORTED else "validation"]["lift"]
        rows = {row["metric"]: row for row in changed.table(heading)}
        assert set(rows) == set(current["model"]) and list(rows) == [m for m in METRICS if m in rows]
        for metric, row in rows.items():
            old, new = section["model"][metric], current["model"][metric]
            assert row["better"] == METRICS[metric]
            assert row["base"] == f"{old:.4f}" and row["this change"] == f"{new:.4f}"
            delta, _, bracket = row["delta"].partition(" ")
            assert delta == signed(new - old), metric
            interval = None  # change vs base, paired on the same flights: the probability metrics
            if metric in test_intervals:
                low, high = (float(end) for end in bracket.strip("[]").split(", "))
                assert low <= new - old + 1e-4 and new - old - 1e-4 <= high, (metric, row["delta"])
                interval = (low, high)
            else:
                assert not bracket, metric
            assert row["baseline"] == f"{current['baseline'][metric]:.4f}"
            lift = signed(current["lift"][metric])
            if metric in intervals:
                lift += f" [{signed(intervals[metric]['low'])}, {signed(intervals[metric]['high'])}]"
            assert row["lift over baseline"] == lift, metric
            verdicts[heading, metric] = expected_verdict(metric, old, new, tolerances.get(metric), interval)
            assert row["verdict"] == verdicts[heading, metric], (heading, metric)
    assert set(verdicts.values()) - {"unchanged"}, "a changed model changes some metric"
    assert "Change vs base: paired on the same rows" in changed.markdown
    for name, fold in head["validation"]["folds"].items():  # each fold beside the gated mean, never gated
        rows = {
            row["metric"]: row
            for row in changed.table(f"Metrics: validation fold {name} (reported, never gated)")
        }
        old = base["validation"]["folds"][name]["model"]["roc_auc"]
        assert rows["roc_auc"]["this change"] == f"{fold['model']['roc_auc']:.4f}"
        assert rows["roc_auc"]["base"] == f"{old:.4f}"
        assert rows["roc_auc"]["lift over baseline"] == signed(fold["lift"]["roc_auc"])
        assert "REGRESSION" not in {row["verdict"] for row in rows.values()}
    old_iter = yaml.safe_load(changed.repo.run("git", "show", "pr-base:params.yaml").stdout)
    new_iter = changed.repo.params()["train"]["hgb"]["max_iter"]
    row = {"param": "train.hgb.max_iter", "base": str(old_iter["train"]["hgb"]["max_iter"])}
    assert [{**row, "this change": str(new_iter)}] == changed.table("Params diff")


@pytest.mark.slow
def test_param_change_exit_code_matches_the_gates(changed: Report) -> None:
    head = evaluate_json(changed.repo)
    regressed = [r["metric"] for r in changed.table(GATED) if r["verdict"] == "**REGRESSION**"]
    lift_fails = [
        metric
        for metric, needed in changed.repo.params()["gates"]["min_lift"].items()
        if (1 if METRICS[metric] == "higher" else -1) * head["validation"]["lift"][metric] < needed
    ]
    expect_fail = bool(regressed or lift_fails)
    assert (changed.result.returncode == 1) == expect_fail, changed.result.stderr[-3000:]
    assert changed.result.returncode in (0, 1)
    assert ("**Result: FAIL**" in changed.markdown) == expect_fail
    for metric in regressed:
        assert f"pr-report: FAIL: regression vs base: {metric}:" in changed.result.stderr
    said = f"`git diff --exit-code HEAD -- {COMPARED}` and no new file there: identical (not a clean run: "
    assert said in changed.markdown  # made with --reuse, and the report says so
    assert_plots(changed)


@pytest.mark.slow
def test_clearly_worse_model_fails_the_gate_and_names_the_metric(worse: Report) -> None:
    assert worse.result.returncode == 1, worse.result.stderr[-3000:]
    assert "**Result: FAIL**" in worse.markdown
    rows = {row["metric"]: row for row in worse.table(GATED)}
    # on the 5% sample an interval may straddle zero: the point delta still fails the gate
    assert rows["roc_auc"]["verdict"] in ("**REGRESSION**", "inconclusive")
    assert rows["roc_auc"]["delta"].startswith("-")
    assert "pr-report: FAIL: regression vs base: roc_auc:" in worse.result.stderr
    assert "- regression vs base: roc_auc:" in worse.markdown
    regressed = [m for m, row in rows.items() if row["verdict"] in ("**REGRESSION**", "inconclusive")]
    failed = [line.split(": ")[3] for line in worse.failed_lines() if "regression vs base" in line]
    assert failed == regressed
    params = {row["param"]: row for row in worse.table("Params diff")}
    assert params["features.weather"]["this change"] == "false"
    assert params["train.hgb.max_iter"]["this change"] == "2"


@pytest.mark.slow
def test_worse_model_regresses_against_base_with_an_interval_wholly_worse(worse: Report) -> None:
    regressed = [row for row in worse.table(GATED) if row["verdict"] == "**REGRESSION**"]
    assert regressed, "some metric is worse with its whole interval below zero"
    for row in regressed:
        low, high = (float(end) for end in row["delta"].split(" [")[1].strip("]").split(", "))
        assert (low <= high < 0) if METRICS[row["metric"]] == "higher" else (0 < low <= high)
    assert "lies wholly on the worse side of zero" in worse.markdown


@pytest.mark.slow
def test_a_noise_change_moves_the_predictions_and_passes(noise: Report) -> None:
    keys = ["fold", "year", "month", "day", "carrier", "flight", "origin", "dest", "sched_dep_time"]
    head = pd.read_parquet(noise.repo.path / paths.VALIDATION_PREDICTIONS)
    base_repo = clone_repo(noise.repo, noise.repo.path.parent / "base-preds")
    base_repo.run("git", "checkout", "-q", "pr-base")
    base_repo.dvc("checkout", "--force")
    base = pd.read_parquet(base_repo.path / paths.VALIDATION_PREDICTIONS)
    both = head.merge(base, on=keys, suffixes=("", "_base"))
    assert len(both) == len(head) == len(base)
    moved = (both["model"] - both["model_base"]).abs()
    assert moved.max() > 1e-4, "the change must alter the predictions, else it proves nothing"
    assert noise.result.returncode == 0, noise.result.stderr[-3000:]
    assert "**Result: PASS**" in noise.markdown
    rows = {row["metric"]: row for row in noise.table(GATED)}
    assert " [" in rows["roc_auc"]["delta"]  # paired with the base, with its interval
    assert "REGRESSION" not in {row["verdict"] for row in rows.values()}
    assert "Change vs base: paired on the same rows" in noise.markdown


@pytest.mark.slow
def test_a_label_change_rescores_the_base_model_on_this_changes_flights(relabelled: Report) -> None:
    assert "Change vs base: the data, label or split differ from the base's" in relabelled.markdown
    assert "re-scored on this change's test rows" in relabelled.markdown
    head = evaluate_json(relabelled.repo)
    test = {row["metric"]: row for row in relabelled.table(REPORTED)}
    assert test["roc_auc"]["this change"] == f"{head['model']['roc_auc']:.4f}"
    base = evaluate_json(relabelled.repo, "pr-base")
    assert test["roc_auc"]["base"] != f"{base['model']['roc_auc']:.4f}"  # not the base's own labels
    low, high = (float(end) for end in test["roc_auc"]["delta"].split(" [")[1].strip("]").split(", "))
    assert low <= high
    assert test["accuracy"]["base"] == "n/a"  # no threshold of the base's is applied to other labels
    gated = {row["metric"]: row for row in relabelled.table(GATED)}
    assert "[" not in gated["roc_auc"]["delta"]  # folds compared unpaired: a point delta only
    assert relabelled.result.returncode in (0, 1)


@pytest.mark.slow
def test_a_hand_raised_metric_fails_the_clean_run(hand_edited: Report) -> None:
    assert hand_edited.result.returncode == 1, hand_edited.result.stderr[-3000:]
    assert hand_edited.failed_lines() == [
        f"pr-report: FAIL: reproducibility: {COMPARED}: "
        f"dvc repro --force --no-run-cache changed the committed {COMPARED}"
    ]
    assert (
        f"`dvc repro --force --no-run-cache`, then `git diff --exit-code HEAD -- {COMPARED}` and no new file "
        "there: **DIFFERENT**." in hand_edited.markdown
    )
    assert "md5" in hand_edited.markdown.split("## Reproducibility")[1]
    verdicts = {row["verdict"] for table in (GATED, REPORTED) for row in hand_edited.table(table)}
    assert verdicts == {"unchanged"}


@pytest.mark.slow
def test_a_metric_edited_without_its_lock_entry_fails_the_gate(base_repo: Repo, tmp_path: Path) -> None:
    """dvc.lock left alone: the lock is reproduced, but the committed metric is not, and merged it would be
    the next change's base (a lowered one turns the regression gate off)."""
    repo = clone_repo(base_repo, tmp_path)
    metrics = repo.path / "metrics/evaluate.json"
    lowered = json.loads(metrics.read_text())
    lowered["validation"]["model"]["roc_auc"] = 0.6  # the gated month
    metrics.write_text(json.dumps(lowered, indent=2, sort_keys=True) + "\n")
    repo.commit("a lower ROC AUC, by hand, so that the next change passes")
    report = run_report(repo, "pr-base")
    assert report.result.returncode == 1, report.result.stderr[-3000:]
    assert report.failed_lines() == [
        f"pr-report: FAIL: reproducibility: {COMPARED}: dvc repro changed the committed {COMPARED}"
    ]
    assert "metrics/evaluate.json" in report.markdown.split("## Reproducibility")[1]


@pytest.mark.slow
def test_first_pr_against_a_base_without_metrics(first_pr: tuple[Report, Report]) -> None:
    passing, failing = first_pr
    assert passing.result.returncode == 0, passing.result.stderr[-3000:]
    assert "which has no metrics yet" in passing.markdown
    for row in passing.table(GATED) + passing.table(REPORTED):
        assert (row["base"], row["delta"], row["verdict"]) == ("n/a", "n/a", "n/a")
        assert row["this change"] != "n/a" and row["lift over baseline"] != "n/a"
    gates = passing.table("Gates")
    assert [g["subject"] for g in gates if g["gate"] == "regression vs base"] == ["all metrics"]
    min_lift = passing.repo.params()["gates"]["min_lift"]
    assert {g["subject"] for g in gates if g["gate"] == "lift over baseline"} == set(min_lift)
    assert all(row["base"] == "n/a" for row in passing.table("Data"))
    assert_plots(passing)
    # the lift gate still applies, with the base's min_lift
    assert failing.result.returncode == 1
    assert "the base's gates apply" in failing.markdown
    assert [line.split(": ")[2:4] for line in failing.failed_lines()] == [["lift over baseline", "roc_auc"]]


@pytest.mark.slow
def test_shallow_clone_needs_the_base_fetched(changed: Report, dvc_cache: Path, tmp_path: Path) -> None:
    """As in CI with a depth-1 checkout: exit 2 naming the fetch command, then the same report."""
    source = changed.repo
    source.run("git", "checkout", "-q", "-B", "pr-head")  # off `main`, whatever git's default
    source.run("git", "branch", "-f", "main", "pr-base")
    root = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{source.path}", str(root)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    shallow = Repo(root, tool_env(root))
    assert shallow.run("git", "rev-parse", "--is-shallow-repository").stdout.strip() == "true"
    shallow.dvc("cache", "dir", "--local", str(dvc_cache))
    shallow.dvc("checkout")

    missing = run_report(shallow, "origin/main")
    command = "git fetch --depth 1 origin main:refs/remotes/origin/main"
    assert missing.result.returncode == 2
    assert command in missing.result.stderr
    assert not (root / REPORT).exists()

    shallow.run(*command.split())
    fetched = run_report(shallow, "origin/main")
    assert fetched.result.returncode == changed.result.returncode, fetched.result.stderr[-3000:]
    # deterministic: the same report as in the full clone, apart from the base's name
    assert fetched.markdown.replace("`origin/main`", "`pr-base`") == changed.markdown
    for curve in CURVES:
        png = REPORT.parent / "pr" / f"{curve}.png"
        assert (root / png).read_bytes() == (source.path / png).read_bytes()


@pytest.mark.slow
def test_unknown_base_exits_2_before_any_work(base_repo: Repo) -> None:
    result = base_repo.run(
        sys.executable, "-m", "flights.tooling.pr_report", "--base", "origin/nope", check=False
    )
    assert result.returncode == 2
    assert "git fetch --depth 1 origin nope:refs/remotes/origin/nope" in result.stderr
    assert "then run with BASE=origin/nope" in result.stderr
    assert "Stage" not in result.stderr  # no dvc repro ran


def report_against_a_broken_base(repo: Repo, relative: str, broken: str) -> subprocess.CompletedProcess:
    """`make pr-report` against a base commit whose `relative` file holds `broken`, mended in HEAD."""
    path = repo.path / relative
    good = path.read_text()
    path.write_text(broken)
    repo.commit(f"a base whose {relative} is broken")
    base = repo.run("git", "rev-parse", "HEAD").stdout.strip()
    path.write_text(good)
    repo.commit("mended")
    return repo.run(sys.executable, "-m", "flights.tooling.pr_report", "--base", base, check=False)


@pytest.mark.slow
def test_a_broken_base_exits_2_not_1(base_repo: Repo, tmp_path: Path) -> None:
    """A crash is not a failed gate: CI must not read an unreadable base as a regression."""
    repo = clone_repo(base_repo, tmp_path)
    result = report_against_a_broken_base(repo, "metrics/evaluate.json", "{ not json")
    assert result.returncode == 2, result.stderr[-2000:]
    base = repo.run("git", "rev-parse", "HEAD~1").stdout.strip()
    assert f"pr-report: DataError: {base}:metrics/evaluate.json is not valid JSON" in result.stderr


@pytest.mark.slow
def test_bad_gates_in_the_change_exit_2_before_any_work(base_repo: Repo, tmp_path: Path) -> None:
    """The base's gates judge the change, but the change's own are checked: merged, they judge the next."""
    repo = clone_repo(base_repo, tmp_path)
    repo.set_params({"gates.tolerance.roc_auc": -1})
    result = repo.run(sys.executable, "-m", "flights.tooling.pr_report", "--base", "pr-base", check=False)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "gates.tolerance.roc_auc = -1 is invalid" in result.stderr
    assert "Stage" not in result.stderr  # refused before dvc repro


@pytest.mark.slow
def test_uncommitted_changes_exit_2_before_any_work(base_repo: Repo, tmp_path: Path) -> None:
    """They would change dvc.lock and fail the reproducibility gate for a reason that is not the PR's."""
    repo = clone_repo(base_repo, tmp_path)
    repo.set_params({"train.hgb.max_iter": 7})
    result = repo.run(sys.executable, "-m", "flights.tooling.pr_report", "--base", "pr-base", check=False)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "pr-report: uncommitted changes" in result.stderr and "params.yaml" in result.stderr
    assert "Stage" not in result.stderr  # refused before dvc repro


@pytest.mark.slow
def test_a_base_whose_params_are_not_a_mapping_exits_2_naming_it(base_repo: Repo, tmp_path: Path) -> None:
    """The base's params.yaml is read by the same loader as the workspace's, with the same errors."""
    repo = clone_repo(base_repo, tmp_path)
    result = report_against_a_broken_base(repo, "params.yaml", "- a list, not sections\n")
    broken = repo.run("git", "rev-parse", "HEAD~1").stdout.strip()
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"{broken}:params.yaml: expected a mapping of sections, got list" in result.stderr
    assert "Stage" not in result.stderr  # refused before dvc repro


@pytest.mark.slow
def test_bad_gates_at_the_base_are_named_with_the_base_revision(base_repo: Repo, tmp_path: Path) -> None:
    """The base's gates judge the change, so a bad one there is reported as the base's, not the change's."""
    repo = clone_repo(base_repo, tmp_path)
    params = repo.params()
    params["gates"]["tolerance"]["roc_auc"] = -1
    result = report_against_a_broken_base(repo, "params.yaml", yaml.safe_dump(params, sort_keys=False))
    base = repo.run("git", "rev-parse", "HEAD~1").stdout.strip()
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"{base}:params.yaml: gates.tolerance.roc_auc = -1 is invalid" in result.stderr
    assert "Stage" not in result.stderr  # refused before dvc repro
