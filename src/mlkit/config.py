"""The one loader of `params.yaml`, with helpers that reject bad parameters before any heavy work."""

import math
from collections.abc import Collection, Hashable, Iterable, Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML, YAMLError

from mlkit.errors import ParamError

PARAMS_FILE = Path("params.yaml")


def load_params(path: Path = PARAMS_FILE) -> dict[str, Any]:
    """All parameters, as DVC reads them: YAML 1.2 with ruamel, so 1e-3 is a number, not the string
    that a YAML 1.1 reader (PyYAML) makes of it."""
    return parse_params(Path(path).read_text(), str(path))


def parse_params(text: str, source: str) -> dict[str, Any]:
    """The parameters in `text` (a params.yaml from `source`, such as another revision)."""
    try:
        params = YAML(typ="safe").load(text)
    except YAMLError as error:  # the line and column of the mistake, not a parser traceback
        raise ParamError(f"{source} is not valid YAML: {error}") from None
    if not isinstance(params, dict):
        raise ParamError(f"{source}: expected a mapping of sections, got {type(params).__name__}")
    return params


def parent_of(mapping: Any, dotted: str) -> tuple[dict | None, str]:
    """The section that holds the last part of a dotted name (`train.hgb` for `train.hgb.max_iter`, as
    `dvc exp run -S` names a parameter), with that part; None when a level above it is missing or is a
    value rather than a section. Sections are dicts, as YAML and JSON readers give them; the caller may
    write into the one returned."""
    *sections, name = dotted.split(".")
    node = mapping
    for section in sections:
        if not isinstance(node, dict) or section not in node:
            return None, name
        node = node[section]
    return (node if isinstance(node, dict) else None), name


def require(condition: bool, name: str, value: Any, expected: str, source: str = "params.yaml") -> None:
    """Raise a ParamError naming the file, the parameter, its value and what was expected."""
    if not condition:
        raise ParamError(f"{source}: {name} = {value!r} is invalid: expected {expected}")


def require_choice(name: str, value: Any, choices: Iterable[str]) -> None:
    choices = sorted(choices)
    require(value in choices, name, value, f"one of {choices}")


def is_whole(value: Any, minimum: int) -> bool:
    """A whole number (not a bool, which YAML's `true` would give) of at least `minimum`."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def is_list_of(value: Any, allowed: Collection) -> bool:
    """A list whose every item is one of `allowed` (False, not a TypeError, for a nested list; a bool,
    which YAML's `true` gives, is not a number)."""
    return isinstance(value, list) and all(
        isinstance(item, Hashable) and not isinstance(item, bool) and item in allowed for item in value
    )


def require_whole(name: str, value: Any, minimum: int) -> None:
    require(is_whole(value, minimum), name, value, f"a whole number >= {minimum}")


SEED_LIMIT = 2**32  # numpy's random seeds lie in [0, 2**32)


def require_seed(name: str, value: Any) -> None:
    require(is_whole(value, 0) and value < SEED_LIMIT, name, value, f"a whole number in [0, {SEED_LIMIT})")


def is_positive(value: Any, allow_zero: bool = False) -> bool:
    """A finite number (YAML's `.inf` and `true` are not) above zero, or at least zero."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    return ok and (value >= 0 if allow_zero else value > 0)


def require_positive(name: str, value: Any, allow_zero: bool = False, source: str = "params.yaml") -> None:
    expected = "a finite number >= 0" if allow_zero else "a finite number > 0"
    require(is_positive(value, allow_zero), name, value, expected, source)


def require_fraction(name: str, value: Any, allow_zero: bool = False) -> None:
    require_positive(name, value, allow_zero)
    require(value <= 1, name, value, f"a fraction in {'[0' if allow_zero else '(0'}, 1]")


def check_shape(params: Any, shape: Mapping[str, Any], name: str = "", source: str = "params.yaml") -> None:
    """`params` has exactly the keys of `shape`, recursively (a key whose shape is None holds any value).

    A misspelt or unsupported key (`max_iters`) would otherwise be ignored without a word, and a
    missing one would end in a KeyError traceback.
    """
    where = f"{source}: {name}" if name else source
    expected = sorted(shape)
    if not isinstance(params, Mapping):
        raise ParamError(f"{where} = {params!r} is invalid: expected a mapping with the keys {expected}")
    unknown = sorted(set(params) - set(shape), key=str)  # YAML keys may be numbers too
    missing = sorted(set(shape) - set(params))
    problems = [f"unknown keys {unknown}"] * bool(unknown) + [f"missing keys {missing}"] * bool(missing)
    if problems:
        raise ParamError(f"{where} has {' and '.join(problems)}: the keys are {expected}")
    for key, inner in shape.items():
        if inner is not None:
            check_shape(params[key], inner, f"{name}.{key}" if name else key, source)
