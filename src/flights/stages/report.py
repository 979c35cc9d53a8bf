"""Stage `report`: reports/index.html, self-contained, for end users."""

from flights.delivery.report.batch import delivery_sections
from flights.delivery.report.data import data_sections
from flights.delivery.report.headline import headline
from flights.delivery.report.model import model_sections
from flights.shared import paths
from flights.shared.params import project_params
from mlkit.io import read_json, write_text
from mlkit.report import render
from mlkit.stage import run_stage

TITLE = "NYC flights 2013: disruption risk at scheduling time"
SUBTITLE = (
    "Which scheduled departures from New York's three airports will arrive 15+ minutes late, be "
    "cancelled or be diverted: a model against a simple baseline, on data it never saw."
)
# the order a reader follows: the curves, then the confusion matrix, then what the model relies on
EVALUATE_FIGURES = ("roc", "precision_recall", "calibration", "confusion", "importance")
# the exploratory figures a reader wants first (the rates by schedule and carrier); any other follows by name
EXPLORE_FIRST = ("rate_by_hour", "rate_by_weekday", "rate_by_month", "rate_by_carrier", "rate_by_origin",
                 "rate_by_dest", "rate_by_precip", "rate_by_visib", "rate_by_wind_speed")  # fmt: skip


def explore_figures() -> list:
    """The exploratory PNGs in reading order: EXPLORE_FIRST, then the rest by name."""
    found = sorted(paths.EXPLORE_FIGURES.glob("*.png"))
    rank = {name: i for i, name in enumerate(EXPLORE_FIRST)}
    return sorted(found, key=lambda path: (rank.get(path.stem, len(rank)), path.stem))


def main(params: dict) -> None:
    quality, evaluate = read_json(paths.DATA_QUALITY), read_json(paths.EVALUATE_METRICS)
    card, intervals = read_json(paths.MODEL_CARD), read_json(paths.INTERVALS)
    score, drift = read_json(paths.SCORE_METRICS), read_json(paths.DRIFT_METRICS)
    figures = [paths.EVALUATE_FIGURES / f"{name}.png" for name in EVALUATE_FIGURES]
    sections = model_sections(evaluate, read_json(paths.SLICE_METRICS), card, figures, intervals)
    sections += delivery_sections(score, drift)
    sections += data_sections(quality, explore_figures())
    top = headline(quality, evaluate, card, intervals, score, drift)
    write_text(render(TITLE, sections, top, SUBTITLE), paths.REPORT)


if __name__ == "__main__":
    run_stage(main, project_params)
