"""`make verify`: a clean run of the pipeline must reproduce the committed lock file and outputs."""

import sys

from flights.shared import paths
from mlkit.tooling import verify

if __name__ == "__main__":
    sys.exit(verify.main([path.as_posix() for path in paths.REPRODUCED]))
