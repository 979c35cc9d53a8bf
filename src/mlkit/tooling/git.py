"""Git and DVC for the pull-request report: the base revision (and how to fetch it into a shallow
clone), files read at a revision or in the workspace, the params diff, and the reproducing run of the
workspace compared with its commit (with the gate that judges it)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlkit.commands import run
from mlkit.errors import DataError
from mlkit.tooling.gates import REPRO_GATE, Gate
from mlkit.tooling.verify import CLEAN_REPRO, differences_from_head


# ------------------------------------------------------------------------------------------ revisions
def rev_commit(rev: str, cwd: Path | None = None) -> str | None:
    """The commit `rev` names, or None when this clone lacks it (`git rev-parse --verify`)."""
    result = run("git", "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", cwd=cwd)
    return result.stdout.strip() if result.returncode == 0 else None


def _branch(rev: str, remote: str) -> str | None:
    """The branch that `rev` names on `remote`, or None for a commit hash."""
    if re.fullmatch(r"[0-9a-fA-F]{7,40}", rev):
        return None
    return rev.removeprefix("refs/remotes/").removeprefix(f"{remote}/")


def fetch_hint(rev: str, remote: str = "origin") -> str:
    """The command that makes `rev` available in a shallow clone."""
    branch = _branch(rev, remote)
    if branch is None:
        return f"git fetch --depth 1 {remote} {rev}"
    return f"git fetch --depth 1 {remote} {branch}:refs/remotes/{remote}/{branch}"


def fetched_rev(rev: str, remote: str = "origin") -> str:
    """The name of `rev` once `fetch_hint`'s command ran: a branch arrives as `<remote>/<branch>`."""
    branch = _branch(rev, remote)
    return rev if branch is None else f"{remote}/{branch}"


# -------------------------------------------------------------------------------------------- files
def git_show(rev: str, path: Path | str, cwd: Path | None = None) -> str | None:
    """A file's text at `rev`, or None when the file does not exist there."""
    result = run("git", "show", f"{rev}:{Path(path).as_posix()}", cwd=cwd)
    return result.stdout if result.returncode == 0 else None


def _parsed(text: str | None, source: str) -> Any:
    """JSON text, None for a missing file; a broken one is a DataError that names where it is."""
    try:
        return None if text is None else json.loads(text)
    except json.JSONDecodeError as error:
        raise DataError(f"{source} is not valid JSON: {error}") from None


def json_at(rev: str, path: Path | str, cwd: Path | None = None) -> Any:
    """A JSON file's content at `rev`, or None when it does not exist there."""
    return _parsed(git_show(rev, path, cwd), f"{rev}:{Path(path).as_posix()}")


def text_in_workspace(path: Path) -> str | None:
    return Path(path).read_text() if Path(path).exists() else None


def json_in_workspace(path: Path) -> Any:
    return _parsed(text_in_workspace(path), Path(path).as_posix())


# ---------------------------------------------------------------------------------------------- DVC
def dvc_params_diff(rev: str, cwd: Path | None = None) -> tuple[dict | None, str]:
    """`dvc params diff <rev> --json` (workspace against `rev`), and the error if it failed."""
    result = run("dvc", "params", "diff", rev, "--json", cwd=cwd)
    if result.returncode != 0:
        return None, (result.stderr.strip() or result.stdout.strip())
    text = result.stdout.strip()
    return (json.loads(text) if text else {}), ""


def repro_check(reproduced: Sequence[Path | str], clean: bool = True) -> ReproCheck:
    """Run the pipeline in the workspace (its output goes to stderr), then compare the `reproduced` files
    (the lock file, and every output kept in git: a metric edited by hand would become the next change's
    base) with HEAD, as `make verify` does. A clean run re-runs every stage and restores nothing from the
    run-cache; without it, `dvc repro` skips what is up to date (for a workspace a clean run just made)."""
    paths = [Path(path).as_posix() for path in reproduced]
    command = CLEAN_REPRO if clean else CLEAN_REPRO[:2]
    ran = subprocess.run(command, stdout=sys.stderr, check=False).returncode == 0
    detail = differences_from_head(paths)
    return ReproCheck(" ".join(command), " ".join(paths), clean, ran, not detail, detail)


# said of a pass without a clean run: stages up to date or in the run-cache were not re-run
TRUSTED_WORKSPACE = " (not a clean run: it trusts a workspace that a clean run made, such as `make verify`'s)"


@dataclass(frozen=True)
class ReproCheck:
    """Did the pipeline run (`command`), and did it leave the `compared` files exactly as committed?
    `clean`: every stage re-ran, none restored from the run-cache (not so with `--reuse`)."""

    command: str
    compared: str
    clean: bool
    ran: bool
    identical: bool
    detail: str = ""

    @property
    def caveat(self) -> str:
        """What a pass does not prove when the run was not a clean one."""
        return "" if self.clean else TRUSTED_WORKSPACE


def reproducibility_gate(check: ReproCheck) -> Gate:
    if not check.ran:
        return Gate(REPRO_GATE, check.compared, False, f"{check.command} failed")
    if not check.identical:
        return Gate(
            REPRO_GATE, check.compared, False, f"{check.command} changed the committed {check.compared}"
        )
    return Gate(
        REPRO_GATE,
        check.compared,
        True,
        f"{check.command} left the committed {check.compared} unchanged{check.caveat}",
    )
