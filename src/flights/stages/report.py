"""Stage `report`: reports/index.html, self-contained, for end users."""

from flights import paths
from flights.delivery.report import data_sections, delivery_sections, headline, model_sections
from flights.params import project_params
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


def main(params: dict) -> None:
    quality, evaluate = read_json(paths.DATA_QUALITY), read_json(paths.EVALUATE_METRICS)
    card, intervals = read_json(paths.MODEL_CARD), read_json(paths.INTERVALS)
    score, drift = read_json(paths.SCORE_METRICS), read_json(paths.DRIFT_METRICS)
    figures = [paths.EVALUATE_FIGURES / f"{name}.png" for name in EVALUATE_FIGURES]
    sections = model_sections(evaluate, read_json(paths.SLICE_METRICS), card, figures, intervals)
    sections += delivery_sections(score, drift)
    sections += data_sections(quality, sorted(paths.EXPLORE_FIGURES.glob("*.png")))
    top = headline(quality, evaluate, card, intervals, score, drift)
    write_text(render(TITLE, sections, top, SUBTITLE), paths.REPORT)


if __name__ == "__main__":
    run_stage(main, project_params)
