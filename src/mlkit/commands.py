"""Running git and DVC from the library: one way, with the output captured for the caller to read."""

import subprocess
from pathlib import Path


def run(*command: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """A command's exit status and text output; the caller decides what a failure means."""
    return subprocess.run(command, cwd=cwd, text=True, capture_output=True, check=False)
