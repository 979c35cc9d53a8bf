"""`make wheel`: mlkit's wheel, byte-identical from the same source, so that a hash can pin it.

The build runs on a copy of the package (no build folder or egg-info lands in the source, which is a DVC
dependency) with `SOURCE_DATE_EPOCH` fixed: a zip's entry times are then the same on every build.
"""

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from mlkit.commands import run

PACKAGE = Path(__file__).resolve().parents[1]
EPOCH = "315532800"  # 1980-01-01, the earliest time a zip entry can hold: the wheel depends on content only


def build_wheel(out_dir: Path) -> Path:
    """Build mlkit's wheel into `out_dir` and return its path; raises with pip's output when it fails."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mlkit-build-") as scratch:
        source = Path(scratch) / "mlkit"
        shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
        built = Path(scratch) / "dist"
        env_epoch = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = EPOCH
        try:
            result = run(
                sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                "--disable-pip-version-check", str(source), "-w", str(built),
            )  # fmt: skip
        finally:
            if env_epoch is None:
                del os.environ["SOURCE_DATE_EPOCH"]
            else:
                os.environ["SOURCE_DATE_EPOCH"] = env_epoch
        wheels = sorted(built.glob("mlkit-*.whl"))
        if result.returncode != 0 or len(wheels) != 1:
            raise RuntimeError(f"building mlkit's wheel failed:\n{result.stdout}{result.stderr}")
        target = out_dir / wheels[0].name
        shutil.copyfile(wheels[0], target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, nargs="?", default=Path("dist"))
    args = parser.parse_args(argv)
    try:
        wheel = build_wheel(args.out_dir)
    except RuntimeError as error:
        print(f"wheel: {error}", file=sys.stderr)
        return 1
    print(wheel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
