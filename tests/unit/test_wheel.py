"""mlkit's wheel: the same source builds the same bytes, and it carries its type information."""

import hashlib
import zipfile

from mlkit.tooling.wheel import build_wheel


def test_the_wheel_builds_byte_identically_and_is_typed(tmp_path):
    first = build_wheel(tmp_path / "one")
    second = build_wheel(tmp_path / "two")
    assert hashlib.sha256(first.read_bytes()).digest() == hashlib.sha256(second.read_bytes()).digest()
    names = zipfile.ZipFile(first).namelist()
    assert "mlkit/py.typed" in names
    assert "mlkit/tooling/gates.py" in names
    assert not [name for name in names if "__pycache__" in name or name.endswith("pyproject.toml")]
