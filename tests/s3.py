"""A real S3-compatible server on loopback (moto's server mode, its own process) for the remote's tests.

DVC talks to it over HTTP exactly as to S3: `AWS_ENDPOINT_URL_S3` points the client at it, and the keys
are moto's (it accepts any key unless IAM auth is switched on).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3

from mlkit.service_process import free_port


@dataclass
class S3Server:
    """A running moto server: its endpoint, the environment DVC needs to reach it, and bucket helpers."""

    process: subprocess.Popen
    endpoint: str

    @property
    def env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL_S3": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )

    def bucket(self, name: str) -> str:
        """A new empty bucket; its `s3://` URL."""
        self.client().create_bucket(Bucket=name)
        return f"s3://{name}"

    def keys(self, bucket: str) -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    @contextlib.contextmanager
    def auth_required(self) -> Iterator[None]:
        """IAM authentication switched on in the running server (moto's `INITIAL_NO_AUTH_ACTION_COUNT` set
        to 0 through its `/moto-api/reset-auth`): no key is known to its IAM, so every request is refused
        as S3 refuses a wrong key. Restored on exit, so one server serves the whole session."""
        previous = self._reset_auth("0")
        try:
            yield
        finally:
            self._reset_auth(previous)

    def _reset_auth(self, count: str) -> str:
        request = urllib.request.Request(
            f"{self.endpoint}/moto-api/reset-auth",
            data=count.encode(),
            headers={"Content-Type": "text/plain"},  # a form content type would hide the body from moto
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"]

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """The server process stopped (SIGSTOP): connections hang as with a server gone mid-transfer;
        continued on exit."""
        self.process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start_s3_server(log: Path, extra_env: dict[str, str] | None = None, timeout: float = 60) -> S3Server:
    """Start `python -m moto.server` on a free loopback port and wait until it answers."""
    port = free_port()
    env = {**os.environ, **(extra_env or {})}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto server exited {process.returncode}; see {log}")
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2).close()
            return S3Server(process, endpoint)
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"moto server did not answer on {endpoint} within {timeout} s; see {log}")
