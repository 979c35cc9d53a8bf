"""The team's S3 remote with real DVC and a real S3 protocol (moto's server on loopback): `make push` /
`make pull` (`python -m mlkit.tooling.remote`) between clones, the run-cache that spares a teammate the
computing, remotes that refuse with an error naming them, and a push killed midway then completed.

Every teammate is a `git clone` with its own empty DVC cache, so what it has came from the remote."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from conftest import PROJECT, Repo, clone_repo, tool_env
from mlkit.service_process import free_port
from s3 import S3Server

pytestmark = pytest.mark.slow

REMOTE = "team"
MODULE = ("python", "-m", "mlkit.tooling.remote")
CHANGE = {"train.hgb.max_iter": 39}  # FAST_PARAMS has 40: train and the four stages after it re-run


def team_repo(pipeline_repo: Repo, tmp_path: Path, server: S3Server, bucket: str) -> Repo:
    """A copy of the reproduced project whose committed .dvc/config names the team's S3 remote as the
    default: the URL is in git, the keys and the endpoint only in the environment."""
    repo = clone_repo(pipeline_repo, tmp_path)
    repo = Repo(repo.path, {**repo.env, **server.env})
    repo.dvc("remote", "add", "-d", REMOTE, f"{server.bucket(bucket)}/flights")
    repo.commit("the team's remote")
    return repo


def git_clone(source: Repo, tmp_path: Path) -> Repo:
    """A teammate's fresh clone: git history only, its own empty cache, no outputs."""
    target = Path(tmp_path) / "clone"
    subprocess.run(["git", "clone", "-q", str(source.path), str(target)], check=True, timeout=120)
    env = {**tool_env(target), **{k: v for k, v in source.env.items() if k.startswith("AWS_")}}
    clone = Repo(target, env)
    clone.run("git", "config", "user.email", "tests@example.invalid")
    clone.run("git", "config", "user.name", "pipeline tests")
    return clone


def transfer(repo: Repo, action: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return repo.run(*MODULE, action, *args, check=check)


def locked_outputs(repo: Repo) -> dict[str, str]:
    """Every output file that dvc.lock names with its md5, directories expanded by their manifest in the
    repo's own cache."""
    lock = yaml.safe_load((repo.path / "dvc.lock").read_text())
    found = {}
    for stage in lock["stages"].values():
        for out in stage.get("outs", []):
            md5 = out["md5"]
            if md5.endswith(".dir"):
                manifest = repo.path / ".dvc/cache/files/md5" / md5[:2] / md5[2:]
                for entry in json.loads(manifest.read_text()):
                    found[f"{out['path']}/{entry['relpath']}"] = entry["md5"]
            else:
                found[out["path"]] = md5
    return found


def assert_outputs_match_the_lock(repo: Repo) -> None:
    expected = locked_outputs(repo)
    actual = {path: hashlib.md5((repo.path / path).read_bytes()).hexdigest() for path in expected}
    assert actual == expected
    status = repo.dvc("status", "--json").stdout
    assert json.loads(status) == {}, status


def stages_run_or_restored(output: str) -> tuple[set[str], set[str]]:
    ran = set(re.findall(r"Running stage '([^']+)'", output))
    restored = set(re.findall(r"Stage '([^']+)' is cached - skipping run, checking out outputs", output))
    return ran, restored


def local_state(repo: Repo) -> dict[str, str]:
    """sha256 of every file of the workspace (git's own data aside) and of the DVC cache."""
    return {
        name: digest
        for name, digest in repo.hashes(".").items()
        if not name.startswith((".git/", ".dvc/tmp/"))
    }


@pytest.fixture(scope="module")
def team(pipeline_repo: Repo, s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """Alice's clone, pushed with `make push`'s module to an S3 bucket of its own."""
    alice = team_repo(pipeline_repo, tmp_path_factory.mktemp("alice"), s3_server, "team-store")
    result = transfer(alice, "push")
    assert (
        f"done with DVC remote '{REMOTE}' (s3://team-store/flights at {s3_server.endpoint})" in result.stdout
    )
    return alice


@pytest.fixture(scope="module")
def bob(team: Repo, tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """A teammate's fresh clone after `make pull`."""
    clone = git_clone(team, tmp_path_factory.mktemp("bob"))
    transfer(clone, "pull")
    return clone


def test_a_fresh_clone_pulls_exactly_what_dvc_lock_names_and_reruns_nothing(bob: Repo):
    assert_outputs_match_the_lock(bob)
    output = bob.dvc("repro").stdout
    assert stages_run_or_restored(output) == (set(), set())
    assert "Data and pipelines are up to date." in output


@pytest.fixture(scope="module")
def changed(team: Repo) -> tuple[str, set[str]]:
    """Alice's next commit, a changed parameter reproduced and pushed: (the commit before it, the stages
    that the change re-ran)."""
    base = team.run("git", "rev-parse", "HEAD").stdout.strip()
    team.set_params(CHANGE)
    ran, restored = stages_run_or_restored(team.repro().stdout)
    assert ran | restored == {"train", "evaluate", "score", "monitor", "report"}
    transfer(team, "push")
    return base, ran | restored


def test_the_run_cache_spares_a_teammate_a_run_already_made(
    team: Repo, changed: tuple[str, set[str]], tmp_path: Path
):
    base, stages = changed
    carol = git_clone(team, tmp_path)
    carol.run("git", "checkout", "-q", base)
    transfer(carol, "pull")
    carol.set_params(CHANGE)  # the change alice made, tried again by carol
    # the pulled run-cache holds the records of runs; `--pull` fetches the outputs a matching one names
    output = carol.dvc("repro", "--pull").stdout
    assert stages_run_or_restored(output) == (set(), stages), output
    assert (carol.path / "dvc.lock").read_bytes() == (team.path / "dvc.lock").read_bytes()
    assert_outputs_match_the_lock(carol)


def test_a_refusing_remote_is_named_and_nothing_local_is_lost(
    team: Repo, changed: tuple[str, set[str]], s3_server: S3Server, tmp_path: Path
):
    dave = git_clone(team, tmp_path)  # pulled last week; alice's new commit checked out, not pulled yet
    dave.run("git", "checkout", "-q", changed[0])
    transfer(dave, "pull")
    dave.run("git", "checkout", "-q", "-")
    before = local_state(dave)
    url = f"s3://team-store/flights at {s3_server.endpoint}"
    down = f"http://127.0.0.1:{free_port()}"
    refusals = {  # a server down is retried by the S3 client: one attempt is enough to see the refusal
        "wrong credentials": ({}, f"({url}) refused the credentials"),
        "missing bucket": ({"url": "s3://no-such-bucket/flights"}, "has no such bucket"),
        "server down": ({"AWS_ENDPOINT_URL_S3": down, "AWS_MAX_ATTEMPTS": "1"}, f"at {down}) cannot be"),
    }  # fmt: skip
    for action in ("push", "pull"):
        for why, (change, cause) in refusals.items():
            if "url" in change:
                dave.dvc("remote", "modify", "--local", REMOTE, "url", change["url"])
            refused = Repo(dave.path, {**dave.env, **{k: v for k, v in change.items() if k != "url"}})
            try:
                with s3_server.auth_required() if why == "wrong credentials" else contextlib.nullcontext():
                    result = transfer(refused, action, check=False)
            finally:
                (dave.path / ".dvc/config.local").unlink(missing_ok=True)  # the committed URL again
            assert result.returncode == 1, (action, why, result.stdout, result.stderr)
            message = result.stderr.strip().splitlines()[-1]
            assert message.startswith(f"make {action}: DVC remote '{REMOTE}'"), (action, why, message)
            assert cause in message, (action, why, message)
            assert local_state(dave) == before, (action, why)
    transfer(dave, "pull")  # the same clone, once the remote answers
    assert_outputs_match_the_lock(dave)


def test_no_remote_configured_is_a_one_line_error(tmp_path: Path):
    repo = Repo(tmp_path, tool_env(PROJECT))  # an empty repository, the project's code
    repo.run("git", "init", "-q")
    repo.dvc("init", "-q")
    result = transfer(repo, "push", check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "make push: no DVC remote configured: `dvc remote add -d team s3://BUCKET/PATH` (or a folder path) "
        "and commit .dvc/config, or add `--local` to keep it to this clone"
    )
    result = transfer(repo, "pull", "--remote", "elsewhere", check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("make pull: no DVC remote named 'elsewhere' (configured: none)")


def test_a_push_killed_midway_completes_when_run_again(
    pipeline_repo: Repo, s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory
):
    alice = team_repo(pipeline_repo, tmp_path_factory.mktemp("interrupted"), s3_server, "interrupted")
    push = subprocess.Popen(
        [*MODULE, "push"],
        cwd=alice.path,
        env=alice.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the module and the dvc it runs are killed together
    )
    deadline = time.monotonic() + 120
    while not s3_server.keys("interrupted") and time.monotonic() < deadline and push.poll() is None:
        time.sleep(0.01)
    with s3_server.paused():  # no upload completes while the push is killed
        assert push.poll() is None, "the push finished before it could be interrupted"
        os.killpg(push.pid, signal.SIGKILL)
        push.wait(timeout=30)
    time.sleep(0.5)  # the server finishes what it was answering when it was stopped
    partial = len(s3_server.keys("interrupted"))
    erin = git_clone(alice, tmp_path_factory.mktemp("erin"))
    early = transfer(erin, "pull", check=False)
    assert early.returncode == 1
    named = f"make pull: DVC remote '{REMOTE}' (s3://interrupted/flights at {s3_server.endpoint})"
    assert early.stderr.strip().splitlines()[-1].startswith(f"{named} lacks objects"), early.stderr

    transfer(alice, "push")
    complete = len(s3_server.keys("interrupted"))
    assert 0 < partial < complete

    transfer(erin, "pull")
    assert_outputs_match_the_lock(erin)
    assert "Cache and remote 'team' are in sync" in erin.dvc("status", "--cloud").stdout
    assert json.loads(erin.dvc("data", "status", "--json").stdout).keys() <= {"git"}
    assert stages_run_or_restored(erin.dvc("repro").stdout) == (set(), set())
