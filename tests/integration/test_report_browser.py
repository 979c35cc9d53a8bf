"""The end users' report as they see it: the session pipeline's real `reports/index.html`, opened in a
real headless chromium (Debian's, driven by Playwright through its executable path: no browser
download), offline, with its headline on the first screen and every value formatted."""

import re
import shutil

import pytest
from playwright.sync_api import sync_playwright

VIEWPORT = {"width": 1280, "height": 900}
RAW = {
    "a dict": re.compile(r"\{'?\w+'?:"),
    "a Python boolean": re.compile(r"\b(True|False)\b"),
    "an underscore key": re.compile(r"\b[a-z]+_[a-z_]+\b"),
    "a whole number as x.0": re.compile(r"^-?[\d,]+\.0$"),
}


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail(
            "chromium is not installed: `apt-get update && apt-get install -y chromium` (.ci/run does it)"
        )
    return found


@pytest.fixture(scope="module")
def opened(pipeline_repo):
    """What the browser saw: every request, the headline's box, every cell's text, each image's width."""
    report = (pipeline_repo.path / "reports/index.html").resolve()
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium())
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.on("request", lambda request: requests.append(request.url))
            page.route(re.compile(r"^(?!data:|file:)"), lambda route: route.abort())  # never reach out
            page.goto(report.as_uri(), wait_until="load")
            seen = {
                "requests": requests,
                "headline": page.locator("#headline").bounding_box(),
                "cells": page.locator("td, th").all_inner_texts(),
                "widths": page.eval_on_selector_all("img", "images => images.map(i => i.naturalWidth)"),
                "cards": page.locator("#headline .card").count(),
            }
        finally:
            browser.close()
    return report, seen


def test_report_requests_nothing_but_itself(opened):
    report, seen = opened
    outside = [url for url in seen["requests"] if url != report.as_uri() and not url.startswith("data:")]
    assert outside == []


def test_headline_is_on_the_first_screen(opened):
    _, seen = opened
    assert seen["headline"] is not None and seen["headline"]["y"] < VIEWPORT["height"] - 100
    assert seen["cards"] >= 4  # the lift, the data, the batch, the drift


def test_no_cell_shows_a_raw_value(opened):
    _, seen = opened
    assert len(seen["cells"]) > 100
    found = {what: [cell for cell in seen["cells"] if pattern.search(cell)] for what, pattern in RAW.items()}
    assert found == {what: [] for what in RAW}


def test_every_image_loaded(opened):
    _, seen = opened
    assert len(seen["widths"]) >= 15 and all(width > 0 for width in seen["widths"])
