"""The pull-request gates: verdicts per metric, the regression and lift gates of the `gates` params
(`tolerance`, `min_lift`) and the reproducibility gate.

Pure: plain mappings in, verdicts and gates out. The better-direction of every metric comes from
`mlkit.metrics.METRICS` (through `improvement`), so a lower log loss is an improvement and a higher
one a regression.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlkit.config import require, require_positive
from mlkit.metrics import METRICS, improvement

DIGITS = 4  # decimals shown in every table
UNCHANGED_BELOW = 0.5 * 10**-DIGITS  # a difference that rounds to 0.0000 is "unchanged"
EPSILON = 1e-9  # metric files hold 6 decimals: differences below this are float noise, not a change
NA = "n/a"

BETTER, WORSE, UNCHANGED, REGRESSION = "better", "worse", "unchanged", "REGRESSION"
REGRESSION_GATE, LIFT_GATE, REPRO_GATE = (
    "regression vs base",
    "lift over baseline",
    "reproducibility",
)

Number = int | float


# ----------------------------------------------------------------------------------------- numbers
def is_number(value: Any) -> bool:
    """A real, finite-or-infinite number (bools, None and NaN are not)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return not math.isnan(value)


def fmt_value(value: Any, digits: int = DIGITS, signed: bool = False) -> str:
    """Integers with thousands separators, floats with `digits` decimals, missing as n/a; `signed`
    adds the sign, and what rounds to zero is +0.0000, never -0.0000."""
    if not is_number(value):
        return NA
    sign = "+" if signed else ""
    if isinstance(value, int):
        return f"{value:{sign},}"
    shown = round(value, digits) + 0.0 if signed else value
    return f"{shown:{sign}.{digits}f}"


def fmt_signed(value: Any, digits: int = DIGITS) -> str:
    """A difference with its sign; what rounds to zero is +0.0000."""
    return fmt_value(value, digits, signed=True)


def difference(new: Any, old: Any) -> Number | None:
    """`new - old`, or None when either is missing."""
    if not (is_number(new) and is_number(old)):
        return None
    return new - old


# ---------------------------------------------------------------------------------------- verdicts
def verdict(metric: str, base: Any, head: Any, tolerance: float | None = None) -> str:
    """better / worse / unchanged / REGRESSION (worse by more than `tolerance`) / n/a (no base).

    A regression of exactly `tolerance` is allowed; "unchanged" means the difference rounds to zero
    at the report's precision.
    """
    if not (is_number(base) and is_number(head)):
        return NA
    gain = improvement(metric, head, base)
    if tolerance is not None and -gain > tolerance + EPSILON:
        return REGRESSION
    if abs(gain) < UNCHANGED_BELOW:
        return UNCHANGED
    return BETTER if gain > 0 else WORSE


# ------------------------------------------------------------------------------------------- gates
@dataclass(frozen=True)
class Gate:
    """One check of the pull request; `value` is an improvement (positive is better)."""

    gate: str
    subject: str
    passed: bool
    detail: str
    value: float | None = None
    threshold: float | None = None


def validate_gates(gates: Any, source: str = "params.yaml") -> tuple[dict[str, float], dict[str, float]]:
    """`tolerance` and `min_lift` of the gates section of `source`, checked; raises ParamError."""
    require(isinstance(gates, Mapping), "gates", gates, "a mapping with tolerance and min_lift", source)
    found = []
    for section in ("tolerance", "min_lift"):
        values = gates.get(section) or {}
        require(isinstance(values, Mapping), f"gates.{section}", values, "a mapping metric: number", source)
        for metric, value in values.items():
            name = f"gates.{section}.{metric}"
            require(metric in METRICS, name, metric, f"one of {list(METRICS)}", source)
            if section == "tolerance":
                require_positive(name, value, allow_zero=True, source=source)
            else:
                require(is_number(value), name, value, "a number", source)
        found.append({metric: float(values[metric]) for metric in METRICS if metric in values})
    return found[0], found[1]


def gates_in_force(base: Any, head: Any) -> tuple[Any, str | None]:
    """(the gates that judge a change, a note): the base's when it has them, so that a pull request
    cannot loosen the bar it is judged by; a change to them is noted, and applies once merged."""
    if base is None:
        return head, None
    if head != base:
        return base, "this change edits the `gates` params: the base's gates apply until it is merged"
    return base, None


def regression_gates(
    base: Mapping[str, Any] | None, head: Mapping[str, Any], tolerance: Mapping[str, float]
) -> list[Gate]:
    """Each metric with a tolerance may be worse than at base by at most that much.

    Without metrics at base (a first pull request) nothing can regress: one skipped row.
    """
    if not base:
        return [Gate(REGRESSION_GATE, "all metrics", True, "skipped: the base revision has no metrics")]
    gates = []
    for metric, allowed in tolerance.items():
        old, new = base.get(metric), head.get(metric)
        if not is_number(new):
            gates.append(Gate(REGRESSION_GATE, metric, False, "missing in this change"))
            continue
        if not is_number(old):
            gates.append(Gate(REGRESSION_GATE, metric, True, "skipped: missing at base"))
            continue
        gain = improvement(metric, new, old)
        passed = -gain <= allowed + EPSILON
        detail = (
            f"{fmt_value(old)} -> {fmt_value(new)}: "
            + ("within" if passed else "worse than")
            + f" the tolerance of {fmt_value(allowed)}"
        )
        gates.append(Gate(REGRESSION_GATE, metric, passed, detail, gain, -allowed))
    return gates


def lift_gates(
    model: Mapping[str, Any], baseline: Mapping[str, Any] | None, min_lift: Mapping[str, float]
) -> list[Gate]:
    """The model must beat the baseline by at least `min_lift` in each metric's better direction."""
    baseline = baseline or {}
    gates = []
    for metric, needed in min_lift.items():
        new, ref = model.get(metric), baseline.get(metric)
        if not (is_number(new) and is_number(ref)):
            where = "this change's model" if not is_number(new) else "the baseline"
            gates.append(Gate(LIFT_GATE, metric, False, f"missing in {where}"))
            continue
        gain = improvement(metric, new, ref)
        passed = gain >= needed - EPSILON
        detail = (
            f"model {fmt_value(new)} vs baseline {fmt_value(ref)}: improvement {fmt_signed(gain)}, "
            + ("meets" if passed else "below")
            + f" the required {fmt_value(needed)}"
        )
        gates.append(Gate(LIFT_GATE, metric, passed, detail, gain, needed))
    return gates


# said of a pass without a clean run: stages up to date or in the run-cache were not re-run
TRUSTED_WORKSPACE = " (not a clean run: it trusts a workspace that a clean run made, such as `make verify`'s)"


@dataclass(frozen=True)
class ReproCheck:
    """Did the pipeline run (`command`), and did it leave the `compared` files exactly as committed?
    `clean`: every stage re-ran, none restored from the run-cache (not so with `--reuse`)."""

    command: str
    compared: str
    clean: bool
    ran: bool
    identical: bool
    detail: str = ""

    @property
    def caveat(self) -> str:
        """What a pass does not prove when the run was not a clean one."""
        return "" if self.clean else TRUSTED_WORKSPACE


def reproducibility_gate(check: ReproCheck) -> Gate:
    if not check.ran:
        return Gate(REPRO_GATE, check.compared, False, f"{check.command} failed")
    if not check.identical:
        return Gate(
            REPRO_GATE, check.compared, False, f"{check.command} changed the committed {check.compared}"
        )
    return Gate(
        REPRO_GATE,
        check.compared,
        True,
        f"{check.command} left the committed {check.compared} unchanged{check.caveat}",
    )


def failures(gates: Sequence[Gate]) -> list[Gate]:
    return [gate for gate in gates if not gate.passed]


def failure_line(gate: Gate) -> str:
    """One line naming the failed gate and its subject, for stderr and the report's summary."""
    return f"{gate.gate}: {gate.subject}: {gate.detail}"
