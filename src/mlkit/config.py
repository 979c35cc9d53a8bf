"""The one loader of `params.yaml`, the typed sections that validate it (`Section`, `validate_params`),
and helpers that reject bad parameters before any heavy work."""

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

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


def require(condition: bool, name: str, value: Any, expected: str, source: str = "params.yaml") -> None:
    """Raise a ParamError naming the file, the parameter, its value and what was expected."""
    if not condition:
        raise ParamError(f"{source}: {name} = {value!r} is invalid: expected {expected}")


def is_whole(value: Any, minimum: int) -> bool:
    """A whole number (not a bool, which YAML's `true` would give) of at least `minimum`."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def require_whole(name: str, value: Any, minimum: int) -> None:
    require(is_whole(value, minimum), name, value, f"a whole number >= {minimum}")


SEED_LIMIT = 2**32  # numpy's random seeds lie in [0, 2**32)


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


# Typed sections: one pydantic model per params section declares every key, its type and its rule, and
# validate_params turns a refusal into one ParamError line per problem, naming section.key, the value and
# the rule. A field's `description` is its rule as the message states it ("a whole number >= 1").


class Section(BaseModel):
    """A params section: every key declared (an unknown or misspelt one is refused, a missing one named),
    and no silent conversion: YAML's "5" is not 5 and `true` is not 1 (a whole number is a valid float)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def whole(minimum: int, below: int | None = None) -> Any:
    """A field holding a whole number >= `minimum` (and < `below`)."""
    if below is None:
        return Field(ge=minimum, description=f"a whole number >= {minimum}")
    return Field(ge=minimum, lt=below, description=f"a whole number in [{minimum}, {below})")


def seed() -> Any:
    """A field holding a random seed, as numpy takes it."""
    return whole(0, SEED_LIMIT)


def positive(allow_zero: bool = False) -> Any:
    """A field holding a finite number > 0 (>= 0 with `allow_zero`); YAML's .inf and .nan are refused."""
    if allow_zero:
        return Field(ge=0, allow_inf_nan=False, description="a finite number >= 0")
    return Field(gt=0, allow_inf_nan=False, description="a finite number > 0")


def fraction(allow_zero: bool = False) -> Any:
    """A field holding a fraction in (0, 1] ([0, 1] with `allow_zero`)."""
    rule = f"a fraction in {'[0' if allow_zero else '(0'}, 1]"
    if allow_zero:
        return Field(ge=0, le=1, allow_inf_nan=False, description=rule)
    return Field(gt=0, le=1, allow_inf_nan=False, description=rule)


def rule(description: str, **constraints: Any) -> Any:
    """A field whose rule is stated by `description` (a Literal's choices are stated without one)."""
    return Field(description=description, **constraints)


def _distinct(values: list) -> list:
    if len(set(values)) < len(values):
        raise ValueError("a value is listed twice")
    return values


def _not_nan(value: float) -> float:
    if math.isnan(value):
        raise ValueError("NaN is not a number")
    return value


Distinct = AfterValidator(_distinct)  # Annotated[list[...], Distinct]: no item twice
NotNaN = AfterValidator(_not_nan)  # Annotated[float, NotNaN]: any number, infinite ones included


M = TypeVar("M", bound=BaseModel)


class RuleBroken(ValueError):
    """A rule across the keys of a section, broken: raised by a model validator, it names the key it
    blames, that key's value and the rule."""

    def __init__(self, key: str, value: Any, rule: str):
        super().__init__(f"{key} = {value!r} is invalid: expected {rule}")
        self.key, self.value, self.rule = key, value, rule


def validate_params(params: Any, model: type[M], source: str = "params.yaml") -> M:
    """`params` validated against `model`; raises a ParamError with one line per problem, each naming
    the key (`train.hgb.max_iter`), its value and the rule:
    `params.yaml: train.hgb.max_iter = -3 is invalid: expected a whole number >= 1`."""
    try:
        return model.model_validate(params)
    except ValidationError as error:
        lines = _problems(error, model, params, source)
    raise ParamError("\n".join(dict.fromkeys(lines)))


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    """A model's fields by the key params.yaml spells them with (an alias where the name is taken)."""
    return {field.alias or name: field for name, field in model.model_fields.items()}


def _field_at(model: type[BaseModel], loc: Sequence) -> tuple[list, Any, type[BaseModel] | None]:
    """The longest start of `loc` that names declared fields: (its keys, the last field's FieldInfo or
    None, the model that holds the rest of `loc`, None once a field is not a section)."""
    keys: list = []
    field = None
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None or part not in _fields(current):
            break
        keys.append(part)
        field = _fields(current)[part]
        annotation = field.annotation
        current = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    return keys, field, current


def _lookup(params: Any, keys: Sequence) -> Any:
    for key in keys:
        params = params[key]
    return params


def _rule_of(field: Any) -> str | None:
    if field is None:
        return None
    if field.description:
        return field.description
    if isinstance(field.annotation, type(Literal[""])):  # a Literal's choices
        return f"one of {sorted(get_args(field.annotation))}"
    return None


def _problems(error: ValidationError, model: type[BaseModel], params: Any, source: str) -> list[str]:
    keys_wrong: dict[tuple, dict[str, list]] = {}  # unknown and missing keys, by the mapping they are in
    lines = []
    for problem in error.errors():
        loc = problem["loc"]
        kind = problem["type"]
        if kind in ("extra_forbidden", "invalid_key", "missing"):
            wrong = keys_wrong.setdefault(tuple(loc[:-1]), {"unknown": [], "missing": []})
            wrong["missing" if kind == "missing" else "unknown"].append(loc[-1])
            continue
        keys, field, section = _field_at(model, loc)
        broken = (problem.get("ctx") or {}).get("error")
        expected: str | None
        if isinstance(broken, RuleBroken):  # a rule across keys, raised by a section's model validator
            keys, value, expected = [*keys, broken.key], broken.value, broken.rule
        else:
            value = _lookup(params, keys)
            expected = _rule_of(field) if kind not in ("model_type", "model_attributes_type") else None
            if expected is None and section is not None:
                expected = f"a mapping with the keys {list(_fields(section))}"
            expected = expected or problem["msg"]
        where = f"{source}: {'.'.join(map(str, keys))} = {value!r}" if keys else f"{source}: {value!r}"
        lines.append(f"{where} is invalid: expected {expected}")
    keys_lines = []
    for loc, wrong in keys_wrong.items():
        _, _, section = _field_at(model, loc)
        known = list(_fields(section)) if section is not None else []
        unknown, missing = sorted(wrong["unknown"], key=str), sorted(wrong["missing"], key=str)
        found = [f"unknown keys {unknown}"] * bool(unknown) + [f"missing keys {missing}"] * bool(missing)
        where = f"{source}: {'.'.join(map(str, loc))}" if loc else source
        keys_lines.append(f"{where} has {' and '.join(found)}: the keys are {known}")
    return keys_lines + lines


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
