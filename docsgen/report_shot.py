"""`python -m docsgen.report_shot`: docs/images/report-top.png, the first screen of the committed
`reports/index.html` as a reader opens it, taken by Debian's chromium through Playwright (no browser
download). Not part of `docsgen --check`: a browser's pixels vary with its version and fonts."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from shutil import which

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
SCREEN = {"width": 1280, "height": 900}


def chromium() -> str:
    """The system chromium's path, or an error saying how to install it."""
    found = which("chromium") or which("chromium-browser")
    if not found:
        raise RuntimeError("no chromium: `apt-get update && apt-get install -y chromium` (.ci/run does it)")
    return found


@contextmanager
def opened(page_file: Path, requests: list[str]) -> Iterator[Page]:
    """`page_file` loaded in headless chromium on a laptop-sized screen, offline: every request is
    recorded in `requests`, and any that is not the file itself or a data: URI is refused."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium())
        try:
            page = browser.new_page(viewport=SCREEN)
            page.on("request", lambda request: requests.append(request.url))
            page.route(lambda url: not url.startswith(("data:", "file:")), lambda route: route.abort())
            page.goto(page_file.resolve().as_uri(), wait_until="load")
            yield page
        finally:
            browser.close()


def main() -> int:
    out = ROOT / "docs/images/report-top.png"
    with opened(ROOT / "reports/index.html", []) as page:
        page.screenshot(path=out)
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
