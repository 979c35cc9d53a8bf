"""Model files with skops in a canonical, byte-stable form, loaded back only with trusted types.

A plain skops archive differs on every save: zip entry timestamps, member names taken from object ids,
and `__id__` memo keys (object ids again) in schema.json. We renumber every id in order of first
appearance, rename the members to match, sort the JSON keys and fix every timestamp.
"""

import hashlib
import io
import itertools
import json
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import skops.io as sio

from mlkit.io import atomic_path

ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class UntrustedModelError(ValueError):
    """The model file holds a type that is not on the trusted list."""


def _number(old: int, ids: dict[int, int], fresh: Iterator[int]) -> int:
    """The new number of an old id, the next free one the first time it is seen."""
    if old not in ids:
        ids[old] = next(fresh)
    return ids[old]


def _renumber(node: Any, ids: dict[int, int], fresh: Iterator[int]) -> Any:
    """Number the nodes in order of appearance; a shared object keeps one number, a JSON scalar never
    shares one (whether two equal floats are one object depends on how the model was built, for
    instance whether it came back from a worker process through pickle, and means nothing)."""
    if isinstance(node, dict):
        result = {}
        for key, value in node.items():
            if key == "__id__":
                value = next(fresh) if node.get("__loader__") == "JsonNode" else _number(value, ids, fresh)
            result[key] = _renumber(value, ids, fresh)
        if isinstance(result.get("file"), str) and result["file"].endswith(".npy"):
            old = int(result["file"].removesuffix(".npy"))
            result["file"] = f"{_number(old, ids, fresh)}.npy"
        return result
    if isinstance(node, list):
        return [_renumber(value, ids, fresh) for value in node]
    return node


def canonical_bytes(model: Any) -> bytes:
    """The skops archive of `model`, identical for identical models."""
    source = zipfile.ZipFile(io.BytesIO(sio.dumps(model)))
    ids: dict[int, int] = {}
    schema = _renumber(json.loads(source.read("schema.json")), ids, itertools.count(1))
    members = {"schema.json": json.dumps(schema, sort_keys=True, indent=1).encode()}
    for name in source.namelist():
        if name != "schema.json":
            members[f"{ids[int(name.removesuffix('.npy'))]}.npy"] = source.read(name)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, members[name])
    return buffer.getvalue()


def save_model(model: Any, path: Path) -> None:
    """Write the canonical archive atomically, after checking that it loads back."""
    data = canonical_bytes(model)
    sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def load_model(path: Path, trusted: Iterable[str]) -> Any:
    """Load a skops file, refusing any type that is not in `trusted` (never plain pickle)."""
    data = Path(path).read_bytes()
    untrusted = sorted(set(sio.get_untrusted_types(data=data)) - set(trusted))
    if untrusted:
        raise UntrustedModelError(f"{path} holds types that are not trusted: {untrusted}")
    return sio.loads(data, trusted=list(trusted))


def file_md5(path: Path) -> str:
    """The hash DVC records for a file in dvc.lock: the model's version."""
    return hashlib.md5(Path(path).read_bytes()).hexdigest()
