"""The gates' rule with intervals (mlkit.tooling.gates): the point delta decides pass or fail, the
interval names how sure that is, and an unsure pass is shown in the report, never silent."""

from mlkit.tooling import gates
from mlkit.tooling.git import ReproCheck
from mlkit.tooling.markdown import compare_metrics, metrics_table, render_report


def span(low: float, high: float) -> dict[str, float]:
    return {"delta": (low + high) / 2, "low": low, "high": high}


def test_verdict_with_an_interval():
    tol = 0.005
    # worse than the tolerance, and surely worse than base: REGRESSION
    assert gates.verdict("roc_auc", 0.70, 0.69, tol, span(-0.015, -0.004)) == gates.REGRESSION
    # worse than the tolerance at the point, but no change is inside the interval: inconclusive
    assert gates.verdict("roc_auc", 0.70, 0.69, tol, span(-0.02, 0.001)) == gates.INCONCLUSIVE
    # within the tolerance, but the interval reaches beyond it: inconclusive
    assert gates.verdict("roc_auc", 0.70, 0.698, tol, span(-0.008, 0.003)) == gates.INCONCLUSIVE
    # within the tolerance all along: the plain verdict
    assert gates.verdict("roc_auc", 0.70, 0.698, tol, span(-0.004, 0.0)) == gates.WORSE
    assert gates.verdict("roc_auc", 0.70, 0.71, tol, span(0.002, 0.02)) == gates.BETTER
    # lower is better: a log loss up by 0.01 with [+0.004, +0.016] is surely worse
    assert gates.verdict("log_loss", 0.50, 0.51, tol, span(0.004, 0.016)) == gates.REGRESSION
    assert gates.verdict("log_loss", 0.50, 0.49, tol, span(-0.016, -0.004)) == gates.BETTER
    # no interval: the point verdict, as before
    assert gates.verdict("roc_auc", 0.70, 0.69, tol, None) == gates.REGRESSION
    assert gates.verdict("roc_auc", 0.70, 0.69, tol, {"delta": -0.01}) == gates.REGRESSION


def test_regression_gate_decides_on_the_point_and_flags_the_unsure():
    base, tol = {"roc_auc": 0.70, "log_loss": 0.50}, {"roc_auc": 0.005, "log_loss": 0.005}
    head = {"roc_auc": 0.698, "log_loss": 0.51}
    intervals = {"roc_auc": span(-0.009, 0.004), "log_loss": span(0.004, 0.016)}
    found = {gate.subject: gate for gate in gates.regression_gates(base, head, tol, intervals)}
    assert found["roc_auc"].passed and found["roc_auc"].inconclusive
    assert found["roc_auc"].result == "pass (inconclusive)"
    assert "[-0.0090, +0.0040] reaches beyond the tolerance" in found["roc_auc"].detail
    assert not found["log_loss"].passed and not found["log_loss"].inconclusive
    assert "wholly on the worse side of zero" in found["log_loss"].detail
    unsure = {"roc_auc": span(-0.02, 0.001), "log_loss": span(-0.001, 0.02)}
    for gate in gates.regression_gates(base, {"roc_auc": 0.69, "log_loss": 0.51}, tol, unsure):
        assert not gate.passed and gate.inconclusive and gate.result == "FAIL (inconclusive)"
    # without intervals, exactly the old gates
    plain = gates.regression_gates(base, head, tol)
    assert [(g.passed, g.inconclusive) for g in plain] == [(True, False), (False, False)]


def test_lift_gate_with_an_interval():
    model, baseline = {"roc_auc": 0.72, "log_loss": 0.55}, {"roc_auc": 0.70, "log_loss": 0.56}
    need = {"roc_auc": 0.01, "log_loss": 0.0}
    sure = {"roc_auc": span(0.012, 0.028), "log_loss": span(-0.015, -0.005)}  # log loss lower: better
    assert all(g.passed and not g.inconclusive for g in gates.lift_gates(model, baseline, need, sure))
    unsure = {"roc_auc": span(0.004, 0.036), "log_loss": span(-0.02, 0.001)}
    found = gates.lift_gates(model, baseline, need, unsure)
    assert all(g.passed and g.inconclusive for g in found)
    weak = {"roc_auc": 0.705, "log_loss": 0.55}
    below = gates.lift_gates(weak, baseline, need, {"roc_auc": span(-0.001, 0.009)})
    assert not below[0].passed and not below[0].inconclusive and "wholly below" in below[0].detail
    reaching = gates.lift_gates(weak, baseline, need, {"roc_auc": span(-0.002, 0.012)})
    assert not reaching[0].passed and reaching[0].inconclusive


def test_tables_show_the_interval_and_the_report_names_unsure_passes():
    rows = compare_metrics(
        {"roc_auc": 0.70},
        {"roc_auc": 0.7031},
        {"roc_auc": 0.65},
        tolerance={"roc_auc": 0.005},
        delta_intervals={"roc_auc": span(-0.0012, 0.0074)},
        lift_intervals={"roc_auc": {"delta": 0.0531, "low": 0.041, "high": 0.0652}},
    )
    table = metrics_table(rows)
    assert "+0.0031 [-0.0012, +0.0074]" in table and "+0.0531 [+0.0410, +0.0652]" in table
    assert "[" not in metrics_table(compare_metrics({"roc_auc": 0.70}, {"roc_auc": 0.7031}))
    unsure = gates.lift_gates(
        {"roc_auc": 0.72}, {"roc_auc": 0.70}, {"roc_auc": 0.01}, {"roc_auc": span(0.0, 0.04)}
    )
    repro = ReproCheck("dvc repro", "dvc.lock", True, True, True)
    text = render_report("t", "b", "h", unsure, {"m": rows}, [], [], [], repro, interval_note="95% interval")
    assert "**Result: PASS**" in text
    assert "Passed, but inconclusive" in text and "pass (inconclusive)" in text
    assert "In brackets: 95% interval" in text
