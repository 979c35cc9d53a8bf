"""`make push` / `make pull`: DVC's outputs and run-cache to and from the team's remote, with a one-line
cause and remedy that names the remote when it refuses.

`make push` also sends the outputs that the run-cache's records name (`push_run_outputs`), which DVC 3's
`push --run-cache` leaves behind, so that a teammate's `dvc repro --pull` restores those runs.

The remote is DVC's own configuration (`dvc remote list`: the default one, or the one named), the
credentials and endpoint come from the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` or
`AWS_PROFILE`, `AWS_ENDPOINT_URL_S3`), so nothing secret is in git. DVC's own errors do not say which
remote failed ("The specified bucket does not exist"); this module does, and never touches a local
file itself: a refused transfer leaves the workspace and the cache as they were.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mlkit.commands import run

ACTIONS = ("push", "pull")


class RemoteError(RuntimeError):
    """A transfer that did not complete, or no remote to transfer with: one line, cause and remedy."""


@dataclass(frozen=True)
class Remote:
    """A DVC remote as `dvc remote list` shows it (every config level merged)."""

    name: str
    url: str
    default: bool = False

    def __str__(self) -> str:
        endpoint = endpoint_url() if self.url.startswith("s3://") else None
        where = f"{self.url} at {endpoint}" if endpoint else self.url
        return f"DVC remote '{self.name}' ({where})"


def endpoint_url() -> str | None:
    """The S3 endpoint the environment sets (what botocore reads), None for AWS itself."""
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")


def remotes(cwd: Path | None = None) -> list[Remote]:
    """Every remote `dvc remote list` shows, the default one marked."""
    listed = run("dvc", "remote", "list", cwd=cwd)
    if listed.returncode:
        raise RemoteError(f"`dvc remote list` failed in {cwd or Path.cwd()}: {last_error(listed.stderr)}")
    found = []
    for line in listed.stdout.splitlines():
        words = line.split()
        if len(words) >= 2:
            default = words[-1] == "(default)"
            url = " ".join(words[1:-1] if default else words[1:])
            found.append(Remote(words[0], url, default))
    return found


def setup_hint(name: str = "team") -> str:
    return (
        f"`dvc remote add -d {name} s3://BUCKET/PATH` (or a folder path) and commit .dvc/config, "
        "or add `--local` to keep it to this clone"
    )


def resolve(name: str | None = None, cwd: Path | None = None) -> Remote:
    """The remote named, else the default one; a RemoteError says how to configure one when there is none."""
    found = remotes(cwd)
    if name:
        for remote in found:
            if remote.name == name:
                return remote
        known = ", ".join(r.name for r in found) or "none"
        raise RemoteError(f"no DVC remote named '{name}' (configured: {known}); add it: {setup_hint(name)}")
    for remote in found:
        if remote.default:
            return remote
    if found:
        names = ", ".join(r.name for r in found)
        raise RemoteError(f"no default DVC remote among {names}: choose one with `dvc remote default NAME`")
    raise RemoteError(f"no DVC remote configured: {setup_hint()}")


# What DVC's (and botocore's) messages say when a remote refuses, in the order they are tested: a server
# that is down also makes every download fail, so the cause comes before its consequence.
CAUSES: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (
        ("Could not connect to the endpoint", "Connection refused", "Cannot connect to host",
         "Name or service not known", "Connect timeout", "Read timeout"),
        "cannot be reached",
        "start the server or fix the endpoint (AWS_ENDPOINT_URL_S3) or URL, then run `make {action}` again",
    ),
    (
        ("Unable to locate credentials", "NoCredentialsError", "Partial credentials"),
        "has no credentials to use",
        "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), then run `make {action}` again",
    ),
    (
        ("InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "Access Denied", "Forbidden",
         "InvalidToken", "ExpiredToken"),
        "refused the credentials",
        "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) of a key allowed to {action} "
        "there, then run `make {action}` again",
    ),
    (
        ("NoSuchBucket", "bucket does not exist"),
        "has no such bucket",
        "create the bucket, or point the remote at one: `dvc remote modify {name} url s3://BUCKET/PATH`",
    ),
    (
        ("unsaved files without confirmation",),
        "was not pulled over outputs changed in this workspace (DVC names them above)",
        "keep them (`dvc commit`) or drop them (`dvc checkout --force`), then run `make {action}` again",
    ),
    (
        ("Missing cache files", "failed to download"),
        "lacks objects that this commit needs",
        "run `make push` in the clone that produced them (an interrupted push completes when run again)",
    ),
)  # fmt: skip


def last_error(output: str) -> str:
    """DVC's last `ERROR:` line (its cause), else the output's last line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line.removeprefix("ERROR:").strip() for line in lines if line.startswith("ERROR:")]
    return (errors or lines or ["no output"])[-1]


def explain(action: str, remote: Remote, output: str) -> str:
    """One line: which remote, what went wrong, what to do."""
    for markers, cause, remedy in CAUSES:
        if any(marker in output for marker in markers):
            return f"{remote} {cause}; {remedy.format(action=action, name=remote.name)}"
    return f"{remote}: `dvc {action}` failed: {last_error(output)}"


def command(action: str, remote: Remote, run_cache: bool = True, extra: Sequence[str] = ()) -> list[str]:
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {ACTIONS}, not {action!r}")
    return ["dvc", action, "-r", remote.name, *(["--run-cache"] if run_cache else []), *extra]


def transfer(
    action: str,
    name: str | None = None,
    cwd: Path | None = None,
    run_cache: bool = True,
    extra: Sequence[str] = (),
    echo: bool = True,
) -> Remote:
    """`dvc push` or `dvc pull` (with the run-cache) against the named or default remote; its output is
    shown as it comes when `echo`. Returns the remote; raises RemoteError naming it when DVC fails."""
    remote = resolve(name, cwd)
    process = subprocess.Popen(
        command(action, remote, run_cache, extra),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if echo:
            print(line, end="", flush=True)
    if process.wait():
        raise RemoteError(explain(action, remote, "".join(seen)))
    if action == "push" and run_cache:
        try:
            sent = push_run_outputs(remote, cwd)
        except Exception as error:  # DVC's and the S3 client's errors, read as DVC's own output is
            raise RemoteError(explain(action, remote, f"ERROR: {error}")) from error
        if echo and sent:
            print(f"{sent} outputs of the run-cache's records pushed")
    return remote


def push_run_outputs(remote: Remote, cwd: Path | None = None) -> int:
    """Push every object that a record of the local run-cache names and the remote lacks; returns how many.

    DVC 3's `push --run-cache` sends the records but only the checked-out commit's outputs, and never the
    outputs a stage keeps in git (`cache: false` metrics and plots, which DVC copies into the cache for
    the run-cache alone): a teammate's `dvc repro --pull` then finds the record and cannot restore the
    stage. Objects the local cache no longer has are skipped (nothing can send them).
    """
    from dvc.repo import Repo

    with Repo(str(cwd or Path.cwd())) as repo:
        runs = Path(repo.stage_cache.cache_dir)
        records = [(path.parent.name, path.name) for path in sorted(runs.glob("*/*/*")) if path.is_file()]
        used = repo.stage_cache.get_used_objs(records)
        present = {obj for objs in used.values() for obj in objs if repo.cache.local.exists(obj.value)}
        return len(repo.cloud.push(present, remote=remote.name).transferred) if present else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=ACTIONS)
    parser.add_argument("--remote", help="a remote's name (default: DVC's default remote)")
    args = parser.parse_args(argv)
    try:
        remote = transfer(args.action, args.remote or None)
    except RemoteError as error:
        print(f"make {args.action}: {error}", file=sys.stderr)
        return 1
    print(f"make {args.action}: done with {remote}, run-cache included")
    return 0


if __name__ == "__main__":
    sys.exit(main())
