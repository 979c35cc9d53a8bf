"""`make verify`: re-run the whole pipeline from scratch and fail if anything differs from git.

Reproducibility is the product: a commit whose dvc.lock or metrics a clean run does not reproduce
must not land.
"""

import argparse
import subprocess
import sys

from mlkit.commands import run

CLEAN_REPRO = ("dvc", "repro", "--force", "--no-run-cache")  # every stage re-run, nothing restored
DETAIL_CHARS = 3000  # of a diff shown in a failure message


def changed(paths: list[str]) -> str:
    """The git diff of `paths` against HEAD, plus any file there that git does not know yet; raises when
    git cannot tell (no commit, not a repository), which must not read as "nothing changed"."""
    diff = run("git", "diff", "--stat", "--exit-code", "HEAD", "--", *paths)
    untracked = run("git", "ls-files", "--others", "--exclude-standard", "--", *paths)
    for result, allowed in ((diff, (0, 1)), (untracked, (0,))):
        if result.returncode not in allowed:
            raise RuntimeError(f"{' '.join(result.args)} failed: {result.stderr.strip()}")
    return diff.stdout + "".join(f" untracked: {line}\n" for line in untracked.stdout.splitlines())


def differences_from_head(paths: list[str]) -> str:
    """What differs from HEAD under `paths`: `changed`'s summary, then the diff (cut at DETAIL_CHARS);
    empty when nothing does."""
    summary = changed(paths)
    if not summary:
        return ""
    full = summary + run("git", "diff", "HEAD", "--", *paths).stdout
    return full if len(full) <= DETAIL_CHARS else full[:DETAIL_CHARS] + "\n... (diff truncated)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="files that a clean run must leave exactly as committed")
    args = parser.parse_args(argv)
    before = changed(args.paths)
    if before:
        print(f"verify: uncommitted changes before the run, commit them first:\n{before}", file=sys.stderr)
        return 1
    result = subprocess.run(CLEAN_REPRO, check=False)
    if result.returncode:
        print("verify: FAILED: the pipeline did not run to the end", file=sys.stderr)
        return result.returncode
    after = differences_from_head(args.paths)
    if after:
        print(f"verify: FAILED: a clean run does not reproduce the commit:\n{after}", file=sys.stderr)
        return 1
    print(f"verify: OK: a clean run reproduced {', '.join(args.paths)} byte for byte")
    return 0


if __name__ == "__main__":
    sys.exit(main())
