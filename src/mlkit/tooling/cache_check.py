"""`make check-cache`: rehash every cache object that dvc.lock names, so that a damaged one is found before
it is used.

`dvc checkout` copies a cache object into the workspace without rehashing it (it trusts the object's
name) and exits 0; only a later `dvc status` notices. This reads each cached output's object (a file, or a
folder's `.dir` manifest and every file it lists), hashes its bytes as DVC does, and names every object
whose bytes do not match its name, with the output it belongs to and how to repair it. Objects that are
not in the cache at all are counted, not failed: `dvc pull` or `dvc repro` brings them.
"""

import argparse
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dvc.repo import Repo
from dvc_data.hashfile.hash import file_md5


@dataclass(frozen=True)
class CachedFile:
    """One object that dvc.lock names: the stage and workspace path it belongs to, and its hash."""

    stage: str
    output: str  # the output as dvc.yaml names it
    path: Path  # the file in the workspace: the output, or a file inside the output folder
    oid: str  # as dvc.lock records it (a folder's manifest ends in .dir)
    hash_name: str  # the hash DVC names this object by
    odb: Any = field(repr=False, compare=False)  # the cache (DVC's object database) holding it

    @property
    def obj(self) -> Path:
        """The object's file in the cache."""
        return Path(self.odb.oid_to_path(self.oid))

    def intact(self, path: Path) -> bool:
        return path.is_file() and file_md5(str(path), name=self.hash_name) == self.oid.removesuffix(".dir")


@dataclass(frozen=True)
class Damage:
    """An object whose bytes do not match its name."""

    cached: CachedFile
    actual: str

    def repair(self) -> str:
        """The steps that put a good object back, the cheapest first."""
        stage, obj = self.cached.stage, self.cached.obj
        if self.cached.intact(self.cached.path):  # the workspace copy is good: save it again
            return f"rm -f '{obj}' && dvc commit --force {stage}   (the workspace copy is intact)"
        rebuild = f"dvc repro --force --single-item {stage}"  # that stage alone, not those before it
        return f"rm -f '{obj}' && {rebuild}   (or, if a remote has it: dvc pull --force {stage})"

    def describe(self) -> str:
        c = self.cached
        return (
            f"stage {c.stage!r}, output {c.output} ({os.path.relpath(c.path)}):\n"
            f"    object {c.obj} hashes to {self.actual}, but its name (from dvc.lock) is {c.oid}\n"
            f"    repair: {self.repair()}"
        )


def cached_outputs(root: Path) -> Iterator[CachedFile]:
    """Every cached output of the pipeline as dvc.lock records it, in stage order."""
    repo = Repo(str(root))
    try:
        for stage in repo.index.stages:
            for out in stage.outs:
                if out.use_cache and out.hash_info and out.hash_info.value:
                    path, oid = Path(out.fs_path), out.hash_info.value
                    yield CachedFile(stage.addressing, out.def_path, path, oid, out.hash_name, out.cache)
    finally:
        repo.close()


def members(folder: CachedFile) -> list[CachedFile]:
    """The files a good `.dir` manifest lists, each under the folder output's path."""
    listed = json.loads(folder.obj.read_text())
    return [
        CachedFile(
            folder.stage,
            folder.output,
            folder.path / entry["relpath"],
            entry["md5"],
            folder.hash_name,
            folder.odb,
        )
        for entry in sorted(listed, key=lambda entry: entry["relpath"])
    ]


@dataclass
class Findings:
    """What a check found: damaged objects, absent ones, and how much it rehashed."""

    damaged: list[Damage] = field(default_factory=list)
    absent: list[CachedFile] = field(default_factory=list)
    objects: int = 0
    bytes: int = 0


def check(root: Path = Path()) -> Findings:
    """Rehash every object that the dvc.lock of the repository at `root` names, manifests first."""
    found = Findings()
    pending = list(cached_outputs(root))
    while pending:
        cached = pending.pop(0)
        if not cached.obj.is_file():
            found.absent.append(cached)
            continue
        actual = file_md5(str(cached.obj), name=cached.hash_name)
        found.objects += 1
        found.bytes += cached.obj.stat().st_size
        if actual != cached.oid.removesuffix(".dir"):
            found.damaged.append(Damage(cached, actual))
        elif cached.oid.endswith(".dir"):
            pending[:0] = members(cached)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", type=Path, default=Path(), help="the repository (default: here)")
    args = parser.parse_args(argv)
    found = check(args.root)
    damaged = found.damaged
    if found.absent:
        print(
            f"check-cache: {len(found.absent)} object(s) named by dvc.lock are not in the cache "
            "(not an error: `dvc pull` fetches them, `dvc repro` rebuilds them)",
            file=sys.stderr,
        )
    if damaged:
        print(f"check-cache: FAILED: {len(damaged)} damaged cache object(s), not to use:", file=sys.stderr)
        for damage in damaged:
            print(f"  {damage.describe()}", file=sys.stderr)
        return 1
    size = f"{found.bytes / 1e6:,.1f} MB"
    print(f"check-cache: OK: {found.objects} cache objects ({size}) rehashed, every one matches its name")
    return 0


if __name__ == "__main__":
    sys.exit(main())
