"""`make verify`: a clean run of the pipeline must reproduce the committed lock file and outputs."""

import sys

from mlkit.tabular_delivery import run_verify

if __name__ == "__main__":
    sys.exit(run_verify())
