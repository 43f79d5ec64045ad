"""Custom automatic scaling rules (EMR's AutoScalingPolicy) as plain functions.

A rule's trigger is a CloudWatch alarm over one of the per-minute metrics: the minute samples
are cut into periods of ``period`` seconds ending now, each period reduced by ``statistic``,
and the alarm is in ALARM when each of the last ``evaluation_periods`` periods breaches the
threshold (CloudWatch's "M out of N" with M = N). Its action changes the group's instance
count by a number, a percentage (rounded away from zero to at least one instance, as EC2 Auto
Scaling does) or to an exact count, within the policy's constraints (emr-facts 6).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from emrsim.scenario.models import ScalingAction, ScalingConstraints, ScalingTrigger


def period_values(
    samples: Sequence[tuple[float, float]], now_s: float, trigger: ScalingTrigger
) -> list[float] | None:
    """The statistic of each of the last ``evaluation_periods`` periods ending at ``now_s``,
    oldest first; None when a period has no sample (CloudWatch's INSUFFICIENT_DATA).

    ``samples`` are (time_s, value) pairs in time order; a period (a, b] holds the samples
    with a < time <= b.
    """
    values = []
    for k in range(trigger.evaluation_periods, 0, -1):
        end = now_s - (k - 1) * trigger.period
        start = end - trigger.period
        inside = [v for t, v in samples if start < t <= end + 1e-9]
        if not inside:
            return None
        values.append(_statistic(inside, trigger.statistic))
    return values


def _statistic(values: list[float], statistic: str) -> float:
    if statistic == "AVERAGE":
        return sum(values) / len(values)
    if statistic == "MINIMUM":
        return min(values)
    if statistic == "MAXIMUM":
        return max(values)
    if statistic == "SUM":
        return sum(values)
    return float(len(values))  # SAMPLE_COUNT


def breaches(value: float, trigger: ScalingTrigger) -> bool:
    """Whether one period's value is on the alarm side of the threshold."""
    op = trigger.comparison_operator
    if op == "GREATER_THAN_OR_EQUAL":
        return value >= trigger.threshold
    if op == "GREATER_THAN":
        return value > trigger.threshold
    if op == "LESS_THAN":
        return value < trigger.threshold
    return value <= trigger.threshold


def in_alarm(samples: Sequence[tuple[float, float]], now_s: float, trigger: ScalingTrigger) -> bool:
    """Whether the alarm fires at ``now_s``: every evaluated period breaches."""
    values = period_values(samples, now_s, trigger)
    return values is not None and all(breaches(v, trigger) for v in values)


def adjusted_count(count: int, action: ScalingAction, constraints: ScalingConstraints) -> int:
    """The instance count after ``action``, within ``constraints``."""
    adjustment = action.scaling_adjustment
    if action.adjustment_type == "EXACT_CAPACITY":
        new = adjustment
    elif action.adjustment_type == "PERCENT_CHANGE_IN_CAPACITY":
        change = count * adjustment / 100.0
        step = math.ceil(abs(change) - 1e-9) if change else 0
        if adjustment and step == 0:
            step = 1
        new = count + int(math.copysign(step, adjustment)) if adjustment else count
    else:
        new = count + adjustment
    return min(max(new, constraints.min_capacity), constraints.max_capacity)
