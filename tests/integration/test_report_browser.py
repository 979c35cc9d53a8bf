"""The end users' report as they see it: the session pipeline's real `reports/index.html`, opened in a
real headless chromium (Debian's, driven by Playwright through its executable path: no browser
download), offline, with its headline on the first screen and every value formatted."""

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # docsgen: a top-level package
from docsgen.report_shot import SCREEN, opened

RAW = {
    "a dict": re.compile(r"\{'?\w+'?:"),
    "a Python boolean": re.compile(r"\b(True|False)\b"),
    "an underscore key": re.compile(r"\b[a-z]+_[a-z_]+\b"),
    "a whole number as x.0": re.compile(r"^-?[\d,]+\.0$"),
}


@pytest.fixture(scope="module")
def seen(pipeline_repo):
    """What the browser saw: every request, the headline's box, every cell's text, each image's width."""
    requests: list[str] = []
    with opened(pipeline_repo.path / "reports/index.html", requests) as page:
        return {
            "requests": requests,
            "headline": page.locator("#headline").bounding_box(),
            "cards": page.locator("#headline .card").count(),
            "cells": page.locator("td, th").all_inner_texts(),
            "widths": page.eval_on_selector_all("img", "images => images.map(i => i.naturalWidth)"),
            "file": page.url,
        }


def test_report_requests_nothing_but_itself(seen):
    outside = [url for url in seen["requests"] if url != seen["file"] and not url.startswith("data:")]
    assert outside == []


def test_headline_is_on_the_first_screen(seen):
    assert seen["headline"] is not None and seen["headline"]["y"] < SCREEN["height"] - 100
    assert seen["cards"] >= 4  # the lift, the data, the batch, the drift


def test_no_cell_shows_a_raw_value(seen):
    assert len(seen["cells"]) > 100
    found = {what: [cell for cell in seen["cells"] if pattern.search(cell)] for what, pattern in RAW.items()}
    assert found == {what: [] for what in RAW}


def test_every_image_loaded(seen):
    assert len(seen["widths"]) >= 15 and all(width > 0 for width in seen["widths"])
