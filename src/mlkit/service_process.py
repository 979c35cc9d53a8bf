"""A service as a child process on a loopback port, yielded once it answers /health and stopped on
leaving: what the contract tests, the serving benchmark and a generated project's smoke test start."""

import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


class ServiceExited(RuntimeError):
    """The service process ended before it answered /health."""


@dataclass
class ServiceProcess:
    url: str
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        """The end of what the process wrote, for an assertion message."""
        return self.log.read_text(errors="replace")[-5000:]


def free_port() -> int:
    with socket.socket() as handle:
        handle.bind(("127.0.0.1", 0))
        return handle.getsockname()[1]


def _answers_health(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy
    try:
        with opener.open(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:  # refused while starting, or an error status
        return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@contextmanager
def service_process(
    command: Sequence[str], cwd: Path, env: Mapping[str, str], log: Path, port: int, timeout: float = 120
) -> Iterator[ServiceProcess]:
    """`command` serving on 127.0.0.1:`port`, its output in `log`: yielded once /health answers 200,
    stopped on leaving. Raises ServiceExited if it ends first, TimeoutError if it does not answer."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as sink:
        process = subprocess.Popen(command, cwd=cwd, env=dict(env), stdout=sink, stderr=subprocess.STDOUT)
    service = ServiceProcess(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + timeout
        while not _answers_health(service.url):
            if process.poll() is not None:
                raise ServiceExited(f"the service exited {process.returncode}:\n{service.output()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the service did not answer /health in {timeout} s:\n{service.output()}")
            time.sleep(0.2)
        yield service
    finally:
        _stop(process)
