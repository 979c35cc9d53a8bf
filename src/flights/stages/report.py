"""Stage `report`: reports/index.html, self-contained, for end users."""

from flights import paths
from flights.delivery.report import data_sections, delivery_sections, model_sections
from flights.params import project_params
from mlkit.io import read_json, write_text
from mlkit.report import render
from mlkit.stage import run_stage

TITLE = "NYC flights 2013: disruption risk at scheduling time"


def main(params: dict) -> None:
    sections = data_sections(read_json(paths.DATA_QUALITY), sorted(paths.EXPLORE_FIGURES.glob("*.png")))
    sections += model_sections(
        read_json(paths.EVALUATE_METRICS),
        read_json(paths.SLICE_METRICS),
        read_json(paths.MODEL_CARD),
        sorted(paths.EVALUATE_FIGURES.glob("*.png")),
        read_json(paths.INTERVALS),
    )
    sections += delivery_sections(read_json(paths.SCORE_METRICS), read_json(paths.DRIFT_METRICS))
    write_text(render(TITLE, sections), paths.REPORT)


if __name__ == "__main__":
    run_stage(main, project_params)
