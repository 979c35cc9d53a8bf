"""`make push` / `make pull` without a server: the Makefile runs the module, and a failure's cause is read
before its consequences (the refusals themselves run against moto in tests/integration/test_remote.py)."""

import subprocess
from pathlib import Path

import pytest

from mlkit.tooling.remote import Remote, command, explain

ROOT = Path(__file__).resolve().parents[2]
TEAM = Remote("team", "s3://acme-ml/flights", default=True)


@pytest.mark.parametrize("action", ["push", "pull"])
def test_the_make_targets_run_the_module_with_the_remote_asked_for(action: str):
    dry = subprocess.run(
        ["make", "--no-print-directory", "-n", action, "REMOTE=mirror"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert dry.stdout.strip().splitlines()[-1] == f'python -m mlkit.tooling.remote {action} --remote "mirror"'


def test_the_run_cache_travels_with_every_transfer():
    assert command("push", TEAM) == ["dvc", "push", "-r", "team", "--run-cache"]
    assert command("pull", TEAM, run_cache=False) == ["dvc", "pull", "-r", "team"]
    with pytest.raises(ValueError, match="action must be one of"):
        command("fetch", TEAM)


def test_a_server_down_is_the_cause_not_the_downloads_it_failed(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")
    output = (
        "ERROR: failed to connect to s3 (acme-ml/flights/files/md5) - Could not connect to the endpoint URL\n"
        "ERROR: failed to pull data from the cloud - 20 files failed to download\n"
    )
    message = explain("pull", TEAM, output)
    assert message.startswith(
        "DVC remote 'team' (s3://acme-ml/flights at http://127.0.0.1:9) cannot be reached"
    )
    assert "lacks objects" not in message


def test_an_unknown_failure_keeps_dvcs_last_error(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    message = explain("push", TEAM, "some progress\nERROR: something new\n\nHaving any troubles?\n")
    assert message == "DVC remote 'team' (s3://acme-ml/flights): `dvc push` failed: something new"
