"""Tests that run the pipeline are marked slow (`make test-fast` leaves them out)."""

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "integration" in item.path.parts:
            item.add_marker(pytest.mark.slow)
