"""Experiments shared between clones: their git refs, here and on a git remote, pushed and pulled with
their outputs (the default DVC remote), and the checks that `dvc exp` needs before it runs."""

import subprocess

from dvc.repo.experiments.refs import EXPS_NAMESPACE, ExpRefInfo

from mlkit.tooling.experiment_queue import dvc_command


def _git(*args: str) -> str:
    """A git command's output; when it fails, the error says what git said."""
    result = subprocess.run(["git", *args], capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"git {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def head() -> str:
    return _git("rev-parse", "HEAD").strip()


def require_full_history() -> None:
    """`dvc exp` needs the whole history: in a shallow clone it fails on missing commits."""
    if _git("rev-parse", "--is-shallow-repository").strip() == "true":
        raise RuntimeError(
            "this clone is shallow: `dvc exp` needs the full history (git fetch --unshallow; in GitHub "
            "Actions, actions/checkout with fetch-depth: 0)"
        )


def experiment_refs(lines: str) -> dict[str, dict[str, str]]:
    """name -> {baseline commit: experiment commit} from `<sha> <ref>` lines (`git ls-remote`,
    `git for-each-ref --format='%(objectname) %(refname)'`); other refs are skipped."""
    found: dict[str, dict[str, str]] = {}
    for line in lines.splitlines():
        sha, _, ref = line.partition("\t") if "\t" in line else line.partition(" ")
        if ref.startswith(f"{EXPS_NAMESPACE}/") and ref.count("/") == 4:  # not refs/exps/exec/...
            info = ExpRefInfo.from_ref(ref)
            found.setdefault(info.name, {})[str(info.baseline_sha)] = sha
    return found


def remote_experiments(git_remote: str) -> dict[str, dict[str, str]]:
    """The experiments a git remote holds, by name and baseline commit."""
    return experiment_refs(_git("ls-remote", git_remote, f"{EXPS_NAMESPACE}/*"))


def local_experiments() -> dict[str, dict[str, str]]:
    """This repository's experiments, by name and baseline commit."""
    return experiment_refs(_git("for-each-ref", "--format=%(objectname) %(refname)", EXPS_NAMESPACE))


def require_remotes(git_remote: str) -> None:
    """A git remote to push experiments to and a default DVC remote for their outputs, checked before
    anything runs (`dvc exp push` without a DVC remote pushes the refs alone, and says nothing)."""
    remote_experiments(git_remote)  # fails naming the git remote when it cannot be reached
    if dvc_command("remote", "default", check=False).returncode:
        raise RuntimeError("no default DVC remote: `dvc remote add -d NAME URL` (the outputs' storage)")


def _differing(names: list[str], git_remote: str) -> list[str]:
    """The names whose experiment on HEAD is not the same commit here and on the git remote."""
    baseline, here, there = head(), local_experiments(), remote_experiments(git_remote)
    return [n for n in names if here.get(n, {}).get(baseline) != there.get(n, {}).get(baseline)]


def push_experiments(names: list[str], git_remote: str) -> None:
    """Push the named experiments of HEAD to the git remote (their outputs to the default DVC remote),
    then check that the remote holds exactly these commits.

    Forced: an experiment of a sweep re-run under the same name is a new commit, and unforced, DVC
    exits 0 with "has diverged ... No experiments to push" and leaves the old one on the remote.
    """
    if not names:
        return
    dvc_command("exp", "push", "--force", git_remote, *names)
    if wrong := _differing(names, git_remote):
        raise RuntimeError(f"`dvc exp push` left {wrong} different on the git remote {git_remote!r}")


def pull_experiments(names: list[str], git_remote: str) -> None:
    """Pull the named experiments of HEAD from the git remote (their outputs from the default DVC
    remote), replacing older local ones of the same names, then check that they arrived."""
    if not names:
        return
    dvc_command("exp", "pull", "--force", git_remote, *names)
    if wrong := _differing(names, git_remote):
        raise RuntimeError(f"`dvc exp pull` left {wrong} different from the git remote {git_remote!r}")
