"""The OpenAPI document states exactly what the service accepts: schemathesis, with every check, against
the real service on a loopback port (the session's reproduced model), finds no failure.

`--checks all` includes positive data acceptance (ST202): a request the document allows must not be
refused, so the carriers and origins the model knows, the hhmm minutes and the real dates are in the
document, not only in the service's code. Bounded examples and a fixed seed keep it under a minute.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Repo
from mlkit.service_process import free_port, service_process

pytestmark = pytest.mark.slow

MAX_FLIGHTS = 50  # the byte limit follows it: room for the fuzzer's longer values, still a limit
MAX_EXAMPLES = 150
START_TIMEOUT = 120


def server_command(port: int) -> list[str]:
    code = (
        "import uvicorn; from pathlib import Path; from flights.delivery.serve import create_app; "
        "from mlkit.runtime import pin_threads; pin_threads(); "
        f"uvicorn.run(create_app(Path(), max_flights={MAX_FLIGHTS}), host='127.0.0.1', port={port}, "
        "log_level='warning')"
    )
    return [sys.executable, "-c", code]


def test_schemathesis_with_every_check_finds_no_failure(pipeline_repo: Repo, tmp_path: Path):
    port = free_port()
    log = tmp_path / "uvicorn.log"
    schemathesis = Path(sys.executable).parent / "schemathesis"
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    with service_process(server_command(port), pipeline_repo.path, pipeline_repo.env, log, port,
                         START_TIMEOUT) as server:  # fmt: skip
        result = subprocess.run(
            [str(schemathesis), "run", f"{server.url}/openapi.json", "--checks", "all",
             "--max-examples", str(MAX_EXAMPLES), "--seed", "1", "--workers", "1"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert server.process.poll() is None, server.output()
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout, result.stdout[-3000:]
    assert "3 selected / 3 total" in result.stdout  # /health, /model and /predict
