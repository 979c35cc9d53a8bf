"""`python -m docsgen --write | --check`: see the package's docstring."""

import argparse
import sys

import docsgen
from docsgen.render import stale, write
from docsgen.sources import ROOT, FigureError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m docsgen", description=docsgen.__doc__.split("\n")[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="rewrite README.md, docs pages and images")
    action.add_argument("--check", action="store_true", help="exit 1 when a generated file is stale")
    args = parser.parse_args(argv)
    try:
        if args.write:
            for path in write():
                print(f"wrote {path.relative_to(ROOT)}")
            return 0
        found = stale()
    except FigureError as error:
        print(f"docsgen: {error}", file=sys.stderr)
        return 2
    for path in found:
        print(f"stale: {path.relative_to(ROOT)} (run `python -m docsgen --write`)", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
