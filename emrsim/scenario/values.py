"""Value forms shared by every scenario key: durations, sizes, distributions, EMR enum spellings.

A duration is a number of seconds or a string with a unit (``"90s"``, ``"15m"``, ``"2h"``,
``"1d"``). A distribution is a bare number or duration (a constant) or a mapping with ``dist:``
and its parameters, all in the field's unit.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator

_UNIT_S = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*(s|m|h|d|w)?\s*$")


class Frozen(BaseModel):
    """Base of every scenario model: immutable, unknown keys are errors, and every number is
    finite (YAML's ``.inf`` and ``.nan`` are errors wherever a number is expected)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


def parse_duration(value: Any) -> Any:
    """Turn ``"15m"`` into 900.0; numbers pass through; anything else is left for pydantic."""
    if isinstance(value, bool):
        raise ValueError("a duration must be a number of seconds or a string like '15m'")
    if isinstance(value, str):
        match = _DURATION_RE.match(value)
        if not match:
            raise ValueError(
                f"{value!r} is not a duration: use seconds or a number with a unit "
                "s, m, h, d or w (e.g. '90s', '15m', '2h', '1d')"
            )
        return float(match.group(1)) * _UNIT_S[match.group(2) or "s"]
    return value


_DURATION_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": 0},
        {"type": "string", "pattern": r"^[0-9]*\.?[0-9]+\s*(s|m|h|d|w)?$"},
    ],
    "description": "seconds, or a string with a unit: 90s, 15m, 2h, 1d",
}

Seconds = Annotated[
    float, BeforeValidator(parse_duration), Field(ge=0), WithJsonSchema(_DURATION_SCHEMA)
]
"""A non-negative duration in seconds (accepts unit strings)."""

PositiveSeconds = Annotated[
    float, BeforeValidator(parse_duration), Field(gt=0), WithJsonSchema(_DURATION_SCHEMA)
]
"""A strictly positive duration in seconds (accepts unit strings)."""


def _enum_spelling(aliases: dict[str, str]) -> BeforeValidator:
    """Accept EMR's own spelling (``CORE``, ``ON_DEMAND``, ``MASTER``) as well as ours."""

    def normalise(value: Any) -> Any:
        if isinstance(value, str):
            key = value.strip().lower().replace("-", "_")
            return aliases.get(key, key)
        return value

    return BeforeValidator(normalise)


class Role(StrEnum):
    """An instance group's role: primary (EMR's MASTER), core or task."""

    PRIMARY = "primary"
    CORE = "core"
    TASK = "task"


class Market(StrEnum):
    """The EC2 purchasing option of an instance."""

    ON_DEMAND = "on_demand"
    SPOT = "spot"


class ActionOnFailure(StrEnum):
    """EMR's ActionOnFailure for a step."""

    CONTINUE = "continue"
    CANCEL_AND_WAIT = "cancel_and_wait"
    TERMINATE_CLUSTER = "terminate_cluster"


RoleField = Annotated[Role, _enum_spelling({"master": "primary"})]
MarketField = Annotated[Market, _enum_spelling({"ondemand": "on_demand"})]
ActionOnFailureField = Annotated[
    ActionOnFailure, _enum_spelling({"terminate_job_flow": "terminate_cluster"})
]


# ----------------------------------------------------------------------------- distributions
DistValue = Annotated[float, BeforeValidator(parse_duration), WithJsonSchema(_DURATION_SCHEMA)]


class Constant(Frozen):
    """Always ``value``."""

    dist: Literal["constant"]
    value: DistValue = Field(ge=0)


class Exponential(Frozen):
    """Exponential with the given mean (memoryless: Poisson arrivals)."""

    dist: Literal["exponential"]
    mean: DistValue = Field(gt=0)


class Uniform(Frozen):
    """Uniform on [low, high]."""

    dist: Literal["uniform"]
    low: DistValue = Field(ge=0)
    high: DistValue = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError(f"high ({self.high:g}) must be >= low ({self.low:g})")
        return self


class Normal(Frozen):
    """Normal with mean and sd, truncated at 0 (negative draws are redrawn)."""

    dist: Literal["normal"]
    mean: DistValue = Field(gt=0)
    sd: DistValue = Field(ge=0)


class LogNormal(Frozen):
    """Log-normal given by its own mean and coefficient of variation (sd / mean)."""

    dist: Literal["lognormal"]
    mean: DistValue = Field(gt=0)
    cv: float = Field(ge=0)


class Empirical(Frozen):
    """Values sampled with replacement."""

    dist: Literal["empirical"]
    values: list[DistValue] = Field(min_length=1)

    @model_validator(mode="after")
    def _non_negative(self) -> Empirical:
        if any(v < 0 for v in self.values):
            raise ValueError("empirical values must all be >= 0")
        return self


def _bare_to_constant(value: Any) -> Any:
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return {"dist": "constant", "value": value}
    if isinstance(value, dict) and "dist" not in value:
        raise ValueError(
            "a distribution needs 'dist:' (constant, exponential, uniform, normal, "
            "lognormal, empirical), or give a bare number"
        )
    if not isinstance(value, dict):
        raise ValueError(
            f"a distribution is a number or a mapping with 'dist:' and its parameters "
            f"(got {value!r})"
        )
    return value


Distribution = Annotated[
    Constant | Exponential | Uniform | Normal | LogNormal | Empirical,
    BeforeValidator(_bare_to_constant),
    Field(discriminator="dist"),
]
"""A bare number (constant) or ``{dist: ..., params}``, in the field's unit."""


def dist_mean(dist: Constant | Exponential | Uniform | Normal | LogNormal | Empirical) -> float:
    """The mean of a distribution (for a truncated normal: the untruncated mean)."""
    if isinstance(dist, Constant):
        return dist.value
    if isinstance(dist, Uniform):
        return (dist.low + dist.high) / 2
    if isinstance(dist, Empirical):
        return sum(dist.values) / len(dist.values)
    return dist.mean
