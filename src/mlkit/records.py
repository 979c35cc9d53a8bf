"""The pydantic form of a field table (mlkit.fields): the model of one request record, whose JSON Schema
(the OpenAPI document) states what it accepts: the rules' ranges and patterns, the choices as enums, and
the checks beyond them (hhmm minutes, a real date) in their JSON Schema form."""

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, ClassVar, Literal, Self, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from mlkit.fields import FieldRule, RowCheck, ValueCheck, near_miss_message, near_misses


class StrictRecord(BaseModel):
    """A request record: JSON types as they are (no "12" for 12, no true for 1), no unknown names; a
    near miss of a field is named with the field it nearly spells; `ignored` names pass unread."""

    model_config = ConfigDict(extra="forbid", strict=True)
    __row_checks__: ClassVar[tuple[RowCheck, ...]] = ()
    __ignored__: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _no_near_miss(cls, data: Any) -> Any:
        if isinstance(data, dict):
            expected = [n for n in cls.model_fields if n not in cls.__ignored__]
            misses = near_misses(data, expected, known=cls.__ignored__)
            if misses:
                raise ValueError(near_miss_message(misses))
        return data

    @field_validator("*", mode="before")
    @classmethod
    def _not_a_bool(cls, value: Any, info: ValidationInfo) -> Any:
        """JSON's true is not 1, though pydantic's lax parts would take it: the batch path refuses it."""
        if isinstance(value, bool) and info.field_name not in cls.__ignored__:
            raise ValueError(f"{str(value).lower()} is not a number or a code")
        return value

    @model_validator(mode="after")
    def _rows(self) -> Self:
        values = vars(self)
        for check in self.__row_checks__:
            problem = check.record(values)
            if problem:
                raise ValueError(problem)
        return self

    def inputs(self) -> dict[str, Any]:
        """The record without its ignored fields."""
        return self.model_dump(exclude=set(self.__ignored__))


def _value_validator(check: ValueCheck) -> AfterValidator:
    def validate(value: Any) -> Any:
        if value is not None and not check.holds(value):
            raise ValueError(check.message.format(value=value))
        return value

    return AfterValidator(validate)


def _whole_float_as_int(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def pydantic_field(rule: FieldRule, choices: Sequence[str] | None = None) -> tuple[Any, Any]:
    """(annotation, default) of the rule for `create_model`; `choices` become an enum."""
    extra: dict[str, Any] = {}
    for check in rule.checks:
        extra |= dict(check.json_schema)
    if choices is not None:
        kind: Any = Literal[tuple(sorted(choices))]
        constraints = Field(description=rule.description, json_schema_extra=extra or None)
    else:
        kind = rule.kind
        constraints = Field(
            ge=rule.ge,
            le=rule.le,
            pattern=rule.pattern,
            description=rule.description,
            allow_inf_nan=False if rule.kind is float else None,  # NaN is "not finite", not "out of range"
            json_schema_extra=extra or None,
        )
    validators: list[AfterValidator | BeforeValidator] = [_value_validator(c) for c in rule.checks]
    if rule.kind is int:  # JSON Schema's integer includes 519.0, and a file's whole numbers are read so
        validators.append(BeforeValidator(_whole_float_as_int))
    annotation = Annotated[kind, constraints, *validators]
    return (annotation, ...) if rule.required else (annotation | None, None)


def request_model(
    name: str,
    rules: Sequence[FieldRule],
    description: str,
    choices: Mapping[str, Sequence[str]] | None = None,
    row_checks: Sequence[RowCheck] = (),
    ignored: Mapping[str, str] | None = None,
) -> type[StrictRecord]:
    """A pydantic model of one record: a field per rule (`choices` as enums), the row checks (also in
    its JSON Schema), and `ignored` names (name -> description) accepted with any scalar value (a
    file's cell) and not used (`StrictRecord.inputs` leaves them out)."""
    choices, ignored = choices or {}, ignored or {}
    schema_extra: dict[str, Any] = {}
    for check in row_checks:
        schema_extra.setdefault("allOf", []).append(dict(check.json_schema))
    base = type(
        f"{name}Rules",
        (StrictRecord,),
        {
            "__doc__": description,
            "model_config": ConfigDict(json_schema_extra=schema_extra or None),
            "__row_checks__": tuple(row_checks),
            "__ignored__": frozenset(ignored),
            "__module__": StrictRecord.__module__,
        },
    )
    fields: dict[str, Any] = {rule.name: pydantic_field(rule, choices.get(rule.name)) for rule in rules}
    # a scalar, as a file's cell holds: accepted and not read
    scalar = str | float | bool | None
    fields |= {key: (Annotated[scalar, Field(description=text)], None) for key, text in ignored.items()}
    return create_model(name, __base__=cast(type[StrictRecord], base), __doc__=description, **fields)
