"""The pull-request gates: verdicts per metric, the regression and lift gates of the `gates` params
(`tolerance`, `min_lift`) and the reproducibility gate.

Pure: plain mappings in, verdicts and gates out. The better-direction of every metric comes from
`mlkit.metrics.METRICS` (through `improvement`), so a lower log loss is an improvement and a higher
one a regression.

With an interval. A delta may come with its confidence interval (`{delta, low, high}` in the metric's
own sign, from `mlkit.bootstrap`). Whether a gate passes is still decided by the point delta, so an
interval never loosens a gate nor fails one that the point delta passes; the interval says how sure the
verdict is, and an unsure one is shown, never passed silently:

- regression vs base (tolerance t): the point delta worse than t fails, as REGRESSION when the whole
  interval lies on the worse side of zero (really worse), else as "inconclusive" (worse by more than t
  at the point, but no change is within the interval). A point delta within t passes: "inconclusive"
  when the interval reaches beyond t (the change may be worse than allowed), plainly otherwise.
- lift over baseline (minimum m): a point lift below m fails, plainly when the whole interval lies
  below m, else as "inconclusive". A point lift of at least m passes: "inconclusive" when the interval
  reaches below m.

Without an interval (older metrics, a project without the bootstrap) the verdicts and gates are the
point ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlkit.config import require, require_positive
from mlkit.metrics import METRICS, improvement
from mlkit.tooling.pr_format import DIGITS, NA, fmt_interval, fmt_signed, fmt_value, is_number

UNCHANGED_BELOW = 0.5 * 10**-DIGITS  # a difference that rounds to 0.0000 is "unchanged"
EPSILON = 1e-9  # metric files hold 6 decimals: differences below this are float noise, not a change

BETTER, WORSE, UNCHANGED, REGRESSION = "better", "worse", "unchanged", "REGRESSION"
INCONCLUSIVE = "inconclusive"  # the interval straddles the gate's threshold
REGRESSION_GATE, LIFT_GATE, REPRO_GATE = (
    "regression vs base",
    "lift over baseline",
    "reproducibility",
)


# ----------------------------------------------------------------------------------------- intervals
def gain_bounds(metric: str, interval: Mapping[str, Any] | None) -> tuple[float, float] | None:
    """The interval of a delta (`{low, high}` in the metric's own sign) as (low, high) of the
    improvement, positive being better; None when there is no usable interval."""
    if not interval or not (is_number(interval.get("low")) and is_number(interval.get("high"))):
        return None
    ends = sorted(improvement(metric, interval[end], 0.0) for end in ("low", "high"))
    return ends[0], ends[1]


# How an interval qualifies a gate decided on its point value (the module's rule): one of four cases.
REGRESSION_WORDS = {
    "sure fail": "lies wholly on the worse side of zero",
    "unsure fail": "includes zero: inconclusive, fails on its point delta",
    "unsure pass": "reaches beyond the tolerance: inconclusive, passes on its point delta",
    "sure pass": "lies within the tolerance",
}
LIFT_WORDS = {
    "sure fail": "lies wholly below it",
    "unsure fail": "reaches it: inconclusive, and fails on its point lift",
    "unsure pass": "reaches below it: inconclusive, passes on its point lift",
    "sure pass": "lies above it",
}


def qualify(
    passed: bool, bounds: tuple[float, float], pass_line: float, fail_line: float
) -> tuple[str, bool]:
    """(case, inconclusive) of a gate whose improvement lies in `bounds`: a failure is sure when the whole
    interval lies below `fail_line`, a pass when none of it lies below `pass_line`."""
    if not passed:
        return ("sure fail", False) if bounds[1] < fail_line else ("unsure fail", True)
    return ("unsure pass", True) if bounds[0] < pass_line else ("sure pass", False)


# ---------------------------------------------------------------------------------------- verdicts
def verdict(
    metric: str,
    base: Any,
    head: Any,
    tolerance: float | None = None,
    interval: Mapping[str, Any] | None = None,
) -> str:
    """better / worse / unchanged / REGRESSION (worse by more than `tolerance`) / n/a (no base), and
    with the `interval` of head - base, inconclusive (the module's rule).

    A regression of exactly `tolerance` is allowed; "unchanged" means the difference rounds to zero
    at the report's precision.
    """
    if not (is_number(base) and is_number(head)):
        return NA
    gain = improvement(metric, head, base)
    bounds = gain_bounds(metric, interval)
    if tolerance is not None and -gain > tolerance + EPSILON:
        return REGRESSION if bounds is None or bounds[1] < 0 else INCONCLUSIVE
    if tolerance is not None and bounds is not None and -bounds[0] > tolerance + EPSILON:
        return INCONCLUSIVE
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
    inconclusive: bool = False  # its interval straddles the threshold (shown, whether it passed or not)

    @property
    def result(self) -> str:
        """pass / FAIL, with "inconclusive" when the interval straddles the threshold."""
        outcome = "pass" if self.passed else "FAIL"
        return f"{outcome} ({INCONCLUSIVE})" if self.inconclusive else outcome


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
    base: Mapping[str, Any] | None,
    head: Mapping[str, Any],
    tolerance: Mapping[str, float],
    intervals: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Gate]:
    """Each metric with a tolerance may be worse than at base by at most that much; `intervals`
    (metric: {delta, low, high} of head - base) qualify the verdict by the module's rule.

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
        interval = (intervals or {}).get(metric)
        bounds = gain_bounds(metric, interval)
        inconclusive = False
        if bounds is not None:
            case, inconclusive = qualify(passed, bounds, pass_line=-allowed - EPSILON, fail_line=0.0)
            detail += f"; delta {fmt_signed(new - old)} {fmt_interval(interval)} {REGRESSION_WORDS[case]}"
        gates.append(Gate(REGRESSION_GATE, metric, passed, detail, gain, -allowed, inconclusive))
    return gates


def lift_gates(
    model: Mapping[str, Any],
    baseline: Mapping[str, Any] | None,
    min_lift: Mapping[str, float],
    intervals: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Gate]:
    """The model must beat the baseline by at least `min_lift` in each metric's better direction;
    `intervals` (metric: {delta, low, high} of model - baseline) qualify the verdict by the module's
    rule."""
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
        interval = (intervals or {}).get(metric)
        bounds = gain_bounds(metric, interval)
        inconclusive = False
        if bounds is not None:
            case, inconclusive = qualify(passed, bounds, needed - EPSILON, needed - EPSILON)
            shown = fmt_interval({"low": bounds[0], "high": bounds[1]})
            detail += f"; its interval {shown} {LIFT_WORDS[case]}"
        gates.append(Gate(LIFT_GATE, metric, passed, detail, gain, needed, inconclusive))
    return gates


def failures(gates: Sequence[Gate]) -> list[Gate]:
    return [gate for gate in gates if not gate.passed]


def inconclusive(gates: Sequence[Gate]) -> list[Gate]:
    """The gates whose interval straddles their threshold, passed or not."""
    return [gate for gate in gates if gate.inconclusive]


def failure_line(gate: Gate) -> str:
    """One line naming the failed gate and its subject, for stderr and the report's summary."""
    return f"{gate.gate}: {gate.subject}: {gate.detail}"
