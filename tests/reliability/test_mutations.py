"""Fuzzing the loader: valid random scenarios, each broken by exactly one mutation.

``scenarios()`` (from ``tests/test_invariants.py``) draws valid scenarios; ``mutated()`` applies
one mutation to one of them: a required key deleted, a value of the wrong type, a count or
duration that must be positive made zero or negative, an unknown enum value, a key renamed with
a typo at a random depth, an unknown instance type or queue, minimum above maximum in a pair of
limits, queue capacities not summing to 100, or a container larger than every node.

Every mutated scenario must be rejected with a :class:`ScenarioError` (never another exception)
whose lines all have the ``source: key.path: message`` shape, and one of whose paths points at
the mutated key or above it. A few go through ``emrsim validate`` too (exit status 2, no
traceback, ``file:line: key.path: message``).
"""

from __future__ import annotations

import copy
import random
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

import pytest
import yaml
from hypothesis import given, note
from hypothesis import strategies as st

from emrsim.nodes.catalogue import load_catalogue
from emrsim.scenario import ScenarioError, scenario_from_data
from emrsim.scenario.models import Scenario
from tests.cli_support import run_cli
from tests.test_invariants import scenarios

Path = tuple[str | int, ...]
Pick = Callable[[Sequence[Any]], Any]
"""Chooses one item: Hypothesis's ``draw(sampled_from(...))`` or ``random.Random.choice``."""


@dataclass
class Mutated:
    """A scenario broken by one mutation, and the key paths the mutation touched."""

    data: dict[str, Any]
    kind: str
    targets: tuple[Path, ...]

    def __repr__(self) -> str:
        return f"Mutated({self.kind}, targets={self.targets}, data={self.data!r})"


# ------------------------------------------------------------------------- data access
def _get(data: Any, path: Path) -> Any:
    for part in path:
        data = data[part]
    return data


def _set(data: Any, path: Path, value: Any) -> None:
    _get(data, path[:-1])[path[-1]] = value


def _delete(data: Any, path: Path) -> None:
    del _get(data, path[:-1])[path[-1]]


def _has(data: Any, path: Path) -> bool:
    try:
        _get(data, path)
    except (KeyError, IndexError, TypeError):
        return False
    return True


def _groups_key(data: dict[str, Any]) -> str:
    return "instance_groups" if "instance_groups" in data["cluster"] else "instance_fleets"


def _jobs(data: dict[str, Any]) -> list[Path]:
    workload = data.get("workload", {})
    return [
        ("workload", kind, i, "job")
        for kind in ("streams", "steps")
        for i in range(len(workload.get(kind, [])))
    ]


def _stages(data: dict[str, Any]) -> list[Path]:
    return [
        (*job, "stages", k) for job in _jobs(data) for k in range(len(_get(data, job)["stages"]))
    ]


def _dict_paths(data: Any, path: Path = ()) -> list[Path]:
    """Every mapping in the data (the top level included), by key path."""
    out: list[Path] = []
    if isinstance(data, dict):
        if data:
            out.append(path)
        for key, value in data.items():
            out += _dict_paths(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += _dict_paths(value, (*path, i))
    return out


def _schema_words() -> set[str]:
    words: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            words.update(node.get("properties", {}))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(Scenario.model_json_schema())
    return words


KNOWN_WORDS = _schema_words() | set(load_catalogue("us-east-1"))
"""Every key of the schema and every catalogued instance type: a typo must be none of them."""


def _typo(key: str, pick: Pick, taken: set[str]) -> str:
    i = pick(range(len(key)))
    op = pick(["drop", "swap", "double", "replace"])
    if op == "drop" and len(key) > 1:
        new = key[:i] + key[i + 1 :]
    elif op == "swap" and i + 1 < len(key) and key[i] != key[i + 1]:
        new = key[:i] + key[i + 1] + key[i] + key[i + 2 :]
    elif op == "double":
        new = key[: i + 1] + key[i:]
    else:
        new = key[:i] + ("q" if key[i] != "q" else "z") + key[i + 1 :]
    while not new or new == key or new in taken or new in KNOWN_WORDS:
        new += "x"
    return new


# --------------------------------------------------------------------------- mutations
# Each takes the data (mutated in place) and a chooser; it returns the paths it touched.


def _delete_required(data: dict[str, Any], pick: Pick) -> tuple[Path, ...]:
    g = _groups_key(data)
    groups = ("cluster", g)
    options: list[Path] = [("cluster",), ("name",)]
    for i, group in enumerate(data["cluster"][g]):
        if g == "instance_groups":
            options += [(*groups, i, key) for key in ("role", "instance_type", "count")]
        else:
            options += [(*groups, i, "role"), (*groups, i, "instance_types")]
            options += [
                (*groups, i, "instance_types", k, "instance_type")
                for k in range(len(group["instance_types"]))
            ]
    for stage in _stages(data):
        options += [(*stage, "tasks"), (*stage, "duration"), (*stage, "name")]
    for i in range(len(data["workload"].get("streams", []))):
        options += [("workload", "streams", i, key) for key in ("interarrival", "job", "name")]
    for i in range(len(data["workload"].get("steps", []))):
        options += [("workload", "steps", i, key) for key in ("job", "name")]
    for i in range(len(data.get("faults", []))):
        options += [("faults", i, "role"), ("faults", i, "at")]
    for i in range(len(data["yarn"].get("queues") or [])):
        options.append(("yarn", "queues", i, "name"))
    path = pick(options)
    _delete(data, path)
    return (path,)


def _wrong_type(data: dict[str, Any], pick: Pick) -> tuple[Path, ...]:
    g = _groups_key(data)
    stage = pick(_stages(data))
    options: list[tuple[Path, Any]] = [
        (("cluster",), ["instance_groups"]),  # a list where a mapping goes
        (("yarn",), ["fifo"]),
        (("workload",), []),
        (("spot_market",), [1, 2]),
        (("cluster", "startup"), [60]),
        (("cluster", g), {"role": "core"}),  # a mapping where a list goes
        ((*stage[:-2], "stages"), {"name": "x"}),
        (("faults",), {"at": 10}),
        ((*stage, "tasks"), "many"),  # a string where an int goes
        ((*stage, "container"), [1024, 1]),
        ((*stage, "container", "memory_mb"), "big"),
        ((*stage, "duration"), "ten minutes"),
        (("cluster", "step_concurrency"), "two"),
        (("seed",), "forty-two"),
        (("cluster", "keep_alive"), "maybe"),
        ((*stage[:-2], "max_task_attempts"), 2.5),
    ]
    if g == "instance_groups":
        options.append((("cluster", g, pick(range(len(data["cluster"][g]))), "count"), "three"))
    streams = data["workload"]["streams"]
    if streams:
        i = pick(range(len(streams)))
        options += [
            (("workload", "streams", i, "count"), "lots"),
            (("workload", "streams", i, "interarrival"), [1, 2]),
            (("workload", "streams", i), "a stream"),
        ]
    path, value = pick(options)
    _set(data, path, value)
    return (path,)


def _non_positive(data: dict[str, Any], pick: Pick) -> tuple[Path, ...]:
    g = _groups_key(data)
    stage = pick(_stages(data))
    bad = pick([0, -1, -7])
    negative = pick([-1, -60.5])
    options: list[tuple[Path, Any]] = [
        ((*stage, "tasks"), bad),
        ((*stage, "duration"), negative),
        ((*stage, "container", "memory_mb"), bad),
        ((*stage, "container", "vcores"), bad),
        ((*stage[:-2], "max_task_attempts"), bad),
        (("cluster", "step_concurrency"), bad),
        (("horizon",), pick([0, -5])),
        (("cluster", "startup", "bootstrap"), negative),
        (("hdfs",), {"preload_gb": negative}),
        (("replications",), bad),
    ]
    if g == "instance_groups":
        i = pick(range(len(data["cluster"][g])))
        options.append((("cluster", g, i, "count"), pick([-1, -3])))
        options.append((("cluster", g, 0, "count"), 0))  # the primary
        options.append((("cluster", g, 1, "count"), 0))  # the core group
    else:
        options.append((("cluster", g, 1), {**data["cluster"][g][1]}))  # placeholder, below
    for i in range(len(data["workload"]["streams"])):
        options.append(
            (("workload", "streams", i, "interarrival"), {"dist": "exponential", "mean": 0})
        )
    for i in range(len(data.get("faults", []))):
        options.append((("faults", i, "count"), pick([0, -2])))
    path, value = pick(options)
    if g == "instance_fleets" and path == ("cluster", g, 1):
        # The core fleet with no capacity at all.
        fleet = value
        fleet.pop("target_spot_capacity", None)
        fleet["target_on_demand_capacity"] = 0
        _set(data, path, fleet)
        return ((*path, "target_on_demand_capacity"),)
    _set(data, path, value)
    return (path,)


def _unknown_enum(data: dict[str, Any], pick: Pick) -> tuple[Path, ...]:
    g = _groups_key(data)
    stage = pick(_stages(data))
    i = pick(range(len(data["cluster"][g])))
    options: list[tuple[Path, Any]] = [
        (("cluster", g, i, "role"), pick(["worker", "slave", "primaryy"])),
        (("yarn", "scheduler"), pick(["lifo", "drf", "fair-share"])),
        ((*stage, "duration"), {"dist": pick(["gamma", "weibull", "Exponential"]), "mean": 5}),
        (("cluster", "startup", "provision"), {"dist": "pareto", "mean": 60}),
        ((*stage[:-2], "type"), pick(["hive", "flink"])),
        (("release_label",), pick(["emr-latest", "emr-6.15", "6.15.0"])),
        (("faults",), [{"at": 10, "role": "core", "action": pick(["reboot", "stop"])}]),
    ]
    if g == "instance_groups":
        options.append((("cluster", g, i, "market"), pick(["reserved", "dedicated"])))
    else:
        options.append((("cluster", g, i, "spot_allocation_strategy"), "cheapest"))
    for k in range(len(data["workload"].get("steps", []))):
        options.append((("workload", "steps", k, "action_on_failure"), "retry"))
    path, value = pick(options)
    _set(data, path, value)
    if path == ("faults",):
        return (("faults", 0, "action"),)
    if isinstance(value, dict):
        return ((*path, "dist"),)
    return (path,)


def _typo_key(data: dict[str, Any], pick: Pick) -> tuple[Path, ...]:
    parent = pick(_dict_paths(data))
    node = _get(data, parent)
    key = pick(sorted(node))
    new = _typo(str(key), pick, set(node))
    # Rename in place, keeping the order of keys (and so of the YAML lines).
    items = [(new if k == key else k, v) for k, v in node.items()]
    node.clear()
    node.update(items)
    return ((*parent, new), (*parent, key))


def _unknown_name(data: dict[str, Any], pick: Pick) -> tuple[Path, ...]:
    g = _groups_key(data)
    i = pick(range(len(data["cluster"][g])))
    bad_type = pick(["m5.xlargee", "z9.mega", "m5.XLARGE", "r5"])
    job = pick(_jobs(data))
    options: list[tuple[Path, Any]] = [
        ((*job, "queue"), pick(["nosuch", "defualt", "root"])),
    ]
    if g == "instance_groups":
        options.append((("cluster", g, i, "instance_type"), bad_type))
    else:
        k = pick(range(len(data["cluster"][g][i]["instance_types"])))
        options.append((("cluster", g, i, "instance_types", k, "instance_type"), bad_type))
    for kind in ("streams", "steps"):
        for k in range(len(data["workload"].get(kind, []))):
            options.append((("workload", kind, k, "queue"), "nosuch"))
    path, value = pick(options)
    _set(data, path, value)
    return (path,)


def _min_above_max(data: dict[str, Any], pick: Pick) -> tuple[Path, ...]:
    high = pick([1, 2, 5])
    low = high + pick([1, 3])
    options = ["managed", "queue", "uniform"]
    if _groups_key(data) == "instance_groups":
        options.append("auto_scaling")
    which = pick(options)
    if which == "managed":
        data["scaling"] = {
            "managed": {"minimum_capacity_units": low, "maximum_capacity_units": high}
        }
        return (("scaling", "managed", "minimum_capacity_units"),)
    if which == "auto_scaling":
        data["cluster"]["instance_groups"][1]["auto_scaling"] = {
            "constraints": {"min_capacity": low, "max_capacity": high},
            "rules": [
                {
                    "name": "up",
                    "action": {"scaling_adjustment": 1},
                    "trigger": {
                        "metric": "YARNMemoryAvailablePercentage",
                        "comparison_operator": "LESS_THAN",
                        "threshold": 15,
                    },
                }
            ],
        }
        return (("cluster", "instance_groups", 1, "auto_scaling", "constraints", "min_capacity"),)
    if which == "queue" and data["yarn"].get("queues"):
        k = pick(range(len(data["yarn"]["queues"])))
        queue = data["yarn"]["queues"][k]
        queue["capacity"] = max(queue["capacity"], 2)
        queue["max_capacity"] = queue["capacity"] - 1
        return (("yarn", "queues", k, "max_capacity"),)
    path = (*pick(_stages(data)), "duration")
    _set(data, path, {"dist": "uniform", "low": 10.0 * low, "high": 10.0 * high})
    return ((*path, "low"),)


def _capacities_off(data: dict[str, Any], pick: Pick) -> tuple[Path, ...]:
    queues = data["yarn"].get("queues")
    if not queues:
        data["yarn"] = {
            "scheduler": "capacity",
            "queues": [{"name": "default", "capacity": 60}, {"name": "b", "capacity": 30}],
        }
        return (("yarn", "queues"),)
    k = pick(range(len(queues)))
    queue = queues[k]
    delta = pick([-10, -1, 1, 10, 0.5])
    new = queue["capacity"] + delta
    if not 0 <= new <= 100:
        new = queue["capacity"] - abs(delta)
    queue["capacity"] = new
    queue["max_capacity"] = 100
    return (("yarn", "queues", k, "capacity"),)


def _too_big(data: dict[str, Any], pick: Pick) -> tuple[Path, ...]:
    job = pick(_jobs(data))
    stage = (*job, "stages", pick(range(len(_get(data, job)["stages"]))))
    huge = pick([10**6, 2**20, 49153])
    which = pick(["memory", "am"])
    if which == "am":
        _set(data, (*job, "am"), {"memory_mb": huge})
        return ((*job, "am", "memory_mb"),)
    _set(data, (*stage, "container", "memory_mb"), huge)
    return ((*stage, "container", "memory_mb"),)


MUTATIONS: dict[str, Callable[[dict[str, Any], Pick], tuple[Path, ...]]] = {
    "delete_required": _delete_required,
    "wrong_type": _wrong_type,
    "non_positive": _non_positive,
    "unknown_enum": _unknown_enum,
    "typo_key": _typo_key,
    "unknown_name": _unknown_name,
    "min_above_max": _min_above_max,
    "capacities_off": _capacities_off,
    "too_big": _too_big,
}


def mutate(data: dict[str, Any], kind: str, pick: Pick) -> Mutated:
    """A deep copy of ``data`` broken by one mutation of ``kind``."""
    data = copy.deepcopy(data)
    targets = MUTATIONS[kind](data, pick)
    return Mutated(data, kind, targets)


@st.composite
def mutated(draw: Any) -> tuple[dict[str, Any], Mutated]:
    """A valid scenario and the same scenario with one mutation."""
    data = draw(scenarios())
    kind = draw(st.sampled_from(sorted(MUTATIONS)))

    def pick(options: Sequence[Any]) -> Any:
        return draw(st.sampled_from(list(options)))

    return data, mutate(data, kind, pick)


# ----------------------------------------------------------------------------- checks
_SEGMENT = r"[^\s:]+"
_DOTTED = re.compile(rf"^(?:\(top level\)|{_SEGMENT}(?:\.{_SEGMENT})*)$")
_PYDANTIC_NOISE = ("errors.pydantic.dev", "[type=", "Value error,", "Input should be", "Traceback")


def _dotted(path: Path) -> str:
    return ".".join(str(p) for p in path) if path else "(top level)"


def _at_or_above(path: Path, targets: Sequence[Path]) -> bool:
    """Whether ``path`` is one of ``targets``, an ancestor of one, or inside a value the
    mutation put there (``interarrival: {dist: exponential, mean: 0}`` is wrong at ``.mean``)."""
    n = len(path)
    return any(tuple(t[:n]) == tuple(path) or tuple(path[: len(t)]) == tuple(t) for t in targets)


def _check_rejection(original: dict[str, Any], m: Mutated) -> ScenarioError:
    note(f"{m.kind} at {[_dotted(t) for t in m.targets]}")
    scenario_from_data(copy.deepcopy(original))  # the scenario was valid before the mutation
    try:
        scenario_from_data(m.data)
    except ScenarioError as exc:
        err = exc
    except Exception as exc:  # anything else is a crash of the loader
        pytest.fail(f"{m.kind}: {type(exc).__name__} instead of ScenarioError: {exc}")
    else:
        pytest.fail(f"{m.kind}: accepted a scenario mutated at {m.targets}")
    lines = err.lines()
    assert lines, "a ScenarioError with no problem"
    assert len(lines) == len(err.problems)
    for problem, line in zip(err.problems, lines, strict=True):
        dotted = _dotted(problem.path)
        assert _DOTTED.match(dotted), line
        assert line.startswith(f"<scenario>: {dotted}: "), line
        message = line[len(f"<scenario>: {dotted}: ") :]
        assert message.strip() and "\n" not in message, line
        assert not any(noise in message for noise in _PYDANTIC_NOISE), line
    assert str(err) == "\n".join(lines)
    paths = [p.path for p in err.problems]
    assert any(_at_or_above(p, m.targets) for p in paths), (
        f"{m.kind} at {[_dotted(t) for t in m.targets]}; errors:\n" + "\n".join(lines)
    )
    return err


@given(mutated())
def test_mutated_scenarios_are_rejected_cleanly(case: tuple[dict[str, Any], Mutated]) -> None:
    original, m = case
    _check_rejection(original, m)


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(MUTATIONS))
@given(data=scenarios(), rnd=st.randoms(use_true_random=False))
def test_each_mutation_kind_is_rejected(kind: str, data: dict[str, Any], rnd: Any) -> None:
    """Each kind on its own (the mixed property may draw some kinds rarely)."""
    _check_rejection(data, mutate(data, kind, rnd.choice))


# ---------------------------------------------------------------------- the command line
_CLI_BASE: dict[str, Any] = {
    "name": "cli-base",
    "seed": 3,
    "release_label": "emr-6.15.0",
    "cluster": {
        "instance_groups": [
            {"role": "primary", "instance_type": "m5.xlarge", "count": 1},
            {"role": "core", "instance_type": "r5.xlarge", "count": 2},
            {"role": "task", "instance_type": "m5.xlarge", "count": 1, "market": "spot"},
        ],
        "startup": {"provision": 60, "bootstrap": 30},
    },
    "yarn": {
        "scheduler": "capacity",
        "queues": [
            {"name": "default", "capacity": 70, "max_capacity": 100},
            {"name": "b", "capacity": 30, "max_capacity": 50},
        ],
    },
    "faults": [{"at": 600, "action": "terminate", "role": "task", "count": 1}],
    "workload": {
        "streams": [
            {
                "name": "s",
                "queue": "b",
                "interarrival": {"dist": "exponential", "mean": 60},
                "count": 3,
                "job": {
                    "type": "container",
                    "am": "none",
                    "stages": [
                        {"name": "a", "tasks": 2, "duration": 30, "container": {"memory_mb": 1024}}
                    ],
                },
            }
        ],
        "steps": [
            {
                "name": "etl",
                "job": {
                    "type": "container",
                    "am": {"memory_mb": 512},
                    "stages": [
                        {"name": "m", "tasks": 4, "duration": 60, "container": {"memory_mb": 2048}}
                    ],
                },
            }
        ],
    },
}
_CLI_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<path>\S+|\(top level\)): (?P<msg>.+)$")


def _check_cli(m: Mutated, tmp: FsPath) -> None:
    file = tmp / "mutated.yaml"
    text = yaml.safe_dump(m.data, sort_keys=False, default_flow_style=False)
    file.write_text(text, encoding="utf-8")
    n_lines = len(text.splitlines())
    proc = run_cli("validate", str(file))
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stdout, proc.stdout
    assert proc.returncode == 2, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines, "no error printed"
    found = False
    for line in lines:
        match = _CLI_LINE.match(line)
        assert match is not None, f"not 'file:line: key.path: message': {line!r}"
        assert match["file"] == str(file), line
        assert 1 <= int(match["line"]) <= n_lines, line
        assert _DOTTED.match(match["path"]), line
        found = found or any(_cli_at_or_above(match["path"], t) for t in m.targets)
    assert found, f"{m.kind} at {[_dotted(t) for t in m.targets]}:\n{proc.stderr}"


def _cli_at_or_above(dotted: str, target: Path) -> bool:
    full = _dotted(target)
    return (
        dotted == "(top level)"
        or full == dotted
        or full.startswith(dotted + ".")
        or dotted.startswith(full + ".")
    )


@pytest.mark.parametrize("seed", range(5))
def test_cli_rejects_mutated_scenarios(seed: int, tmp_path: FsPath) -> None:
    """Five fixed mutations of a fixed scenario through ``emrsim validate``."""
    rnd = random.Random(seed)
    kinds = sorted(MUTATIONS)
    kind = kinds[(seed * 2) % len(kinds)]
    m = mutate(_CLI_BASE, kind, rnd.choice)
    _check_cli(m, tmp_path)


@pytest.mark.slow
@given(mutated())
def test_cli_rejects_random_mutations(case: tuple[dict[str, Any], Mutated]) -> None:
    _, m = case
    note(repr(m))
    with tempfile.TemporaryDirectory() as tmp:
        _check_cli(m, FsPath(tmp))
