"""The report's formatting: what a reader sees instead of raw keys, `6000.0`, `True` or a dict."""

import numpy as np
import pandas as pd
import pytest

from mlkit.report import Headline, KeyFigure, Section, drift_figure, lift_figure, render
from mlkit.report_format import (
    Labels,
    format_count,
    format_number,
    format_share,
    format_signed,
    format_value,
    table_html,
)


@pytest.mark.parametrize(
    ("value", "kind", "shown"),
    [
        (True, "auto", "yes"),
        (np.bool_(False), "auto", "no"),
        (np.int64(6000), "auto", "6,000"),
        (np.float64(6000.0), "count", "6,000"),
        (False, "auto", "no"),
        (6000, "auto", "6,000"),
        (6000.0, "count", "6,000"),
        (336776, "auto", "336,776"),
        (0.2658, "share", "26.6%"),
        (0.1, "auto", "0.1"),
        (0.1, "number", "0.1000"),
        (0.115382, "signed", "+0.1154"),
        (-0.05914, "signed", "-0.0591"),
        (1.0, "auto", "1"),
        (0.0000123, "number", "1.23e-05"),
        (None, "auto", "-"),
        (float("nan"), "share", "-"),
        ([2, 3, 10], "auto", "2, 3, 10"),
        ([], "auto", "none"),
        ("hgb", "auto", "hgb"),
        (12, "text", "12"),
    ],
)
def test_format_value(value, kind, shown):
    assert format_value(value, kind) == shown


def test_a_mapping_reads_as_named_values_not_a_dict():
    labels = Labels({"l2_regularization": "L2 regularization"})
    shown = format_value({"l2_regularization": 1.0, "learning_rate": 0.1, "early_stop": False}, labels=labels)
    assert shown == "L2 regularization 1, learning rate 0.1, early stop no"


def test_number_helpers():
    assert format_count(6000.0) == "6,000"
    assert format_share(0.5, digits=0) == "50%"
    assert format_signed(0.0) == "+0.0000"
    assert format_number(1234.5678, 2) == "1,234.57"


def test_labels_name_metrics_and_fall_back_to_spaces():
    labels = Labels({"mean_probability": "mean predicted probability"})
    assert labels("mean_probability") == "mean predicted probability"
    assert labels("roc_auc") == "ROC AUC"
    assert labels("unseen_dest") == "unseen dest"


def test_a_count_column_with_a_gap_stays_whole():
    """A count column with a missing value is stored as floats: it must not read 6000.0."""
    table = pd.DataFrame({"group": ["a", "b"], "rows": [6000.0, None], "rate": [0.25, 0.5]})
    page = table_html(table, {"rate": "share"})
    assert "6,000" in page and "6000.0" not in page and "25.0%" in page
    assert '<td class="num">-</td>' in page
    assert page.count('<th class="num">') == 2


def test_add_mapping_formats_each_value_on_its_own():
    section = Section("batch", labels=Labels({"flagged_share": "flagged"}))
    section.add_mapping({"rows": 6000, "mean_probability": 0.30162, "flagged_share": 0.63, "ok": True},
                        kinds={"flagged_share": "share"})  # fmt: skip
    page = "".join(section.parts)
    for shown in ("6,000", "0.3016", "63.0%", "yes", "mean probability", "flagged"):
        assert f">{shown}<" in page
    assert "_" not in page and "True" not in page


def test_lift_figure_tone_follows_the_interval_and_the_metric_direction():
    evaluate = {"model": {"log_loss": 0.50}, "baseline": {"log_loss": 0.55}, "lift": {"log_loss": -0.05}}
    better = lift_figure(evaluate, "log_loss", {"low": -0.08, "high": -0.02})
    assert (better.value, better.tone) == ("-0.050", "good")
    assert "95% interval -0.080 to -0.020" in better.detail
    assert lift_figure(evaluate, "log_loss", {"low": -0.08, "high": 0.01}).tone == "neutral"
    assert lift_figure(evaluate, "log_loss", None).tone == "neutral"


def test_drift_figure_names_the_largest_drift():
    features = {"wind_speed": {"psi": 0.3, "flagged": True}, "hour": {"psi": 0.01, "flagged": False}}
    figure = drift_figure(features, {"psi": 0.05, "flagged": False})
    assert figure.value == "1 of 2"
    assert figure.detail == "largest: wind speed (PSI 0.30); model score stable (PSI 0.05)"
    assert figure.tone == "neutral"
    assert drift_figure({"a": {"psi": 0.0, "flagged": False}}).tone == "good"


def test_render_opens_with_the_headline_and_is_deterministic():
    headline = Headline("The model beats the baseline.", [KeyFigure("lift", "+0.1", "interval", "good")])
    sections = [Section("Results").add_text("<b>escaped</b>")]
    page = render("A & B", sections, headline, "subtitle")
    assert page == render("A & B", sections, headline, "subtitle")
    assert page.index('class="headline"') < page.index("<nav>") < page.index("<h2")
    assert "A &amp; B" in page and "&lt;b&gt;escaped" in page
    assert "<script" not in page


def test_bar_chart_sorts_draws_the_reference_and_is_byte_stable(tmp_path):
    """The options the report's figures use (sorted bars, the overall rate across, a percent axis) keep
    the PNG byte-identical from one run to the next."""
    from mlkit.plots import bar_chart

    table = pd.DataFrame({"group": ["a", "b", "c"], "rate": [0.2, 0.5, 0.1]})
    options = {"sort": True, "reference": (0.3, "all rows (30%)"), "share": True, "ylabel": "share positive"}
    first, second = tmp_path / "first.png", tmp_path / "second.png"
    bar_chart(table, "group", "rate", "rate by group", first, **options)
    bar_chart(table, "group", "rate", "rate by group", second, **options)
    assert first.read_bytes() == second.read_bytes()
    bar_chart(table, "group", "rate", "rate by group", second, **{**options, "sort": False})
    assert first.read_bytes() != second.read_bytes()
