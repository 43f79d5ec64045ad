"""Loading a scenario: YAML text -> overrides -> pydantic models -> whole-scenario checks."""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from emrsim.scenario.models import Scenario
from emrsim.scenario.source import Path, Problem, ScenarioError, SourceMap, parse_yaml

if TYPE_CHECKING:
    from emrsim.yarn.xml_import import XmlImport


def load_scenario(
    path: str | FsPath, overrides: Sequence[str] = (), *, check: bool = True
) -> Scenario:
    """Read, override (``a.b=v``), validate and check a scenario file.

    Raises :class:`ScenarioError` listing every problem with its file, line and key path.
    """
    source = str(path)
    try:
        text = FsPath(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(source, [Problem((), "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(source, [Problem((), f"cannot read the file: {exc}")]) from None
    base_dir = FsPath(path).parent
    return scenario_from_text(text, source, overrides, check=check, base_dir=base_dir)


def scenario_from_text(
    text: str,
    source: str = "<scenario>",
    overrides: Sequence[str] = (),
    *,
    check: bool = True,
    base_dir: str | FsPath | None = None,
) -> Scenario:
    """Like :func:`load_scenario`, from YAML text; ``yarn.from_xml`` and trace paths are
    relative to ``base_dir`` (default: the current directory)."""
    data, sources = parse_yaml(text, source)
    data = apply_overrides(data, overrides, source, sources)
    return scenario_from_data(data, source, sources, check=check, base_dir=base_dir)


def scenario_from_data(
    data: Any,
    source: str = "<scenario>",
    sources: SourceMap | None = None,
    *,
    check: bool = True,
    base_dir: str | FsPath | None = None,
) -> Scenario:
    """Validate plain data (as read from YAML) into a :class:`Scenario`.

    A ``yarn.from_xml`` file (relative to ``base_dir``, default the current directory) is
    imported first: its scheduler and queues replace the key (see :mod:`emrsim.yarn.xml_import`).
    """
    sources = sources or SourceMap()
    if not isinstance(data, dict):
        raise ScenarioError(source, [Problem((), "a scenario must be a mapping of keys")], sources)
    data, imported = _import_xml(data, source, sources, base_dir)
    from emrsim.workload.traces.common import scenario_relative

    data = scenario_relative(data, base_dir)  # workload.traces[].path, as yarn.from_xml
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = _xml_problems(_problems(exc, data), imported)
        raise ScenarioError(source, problems, sources) from None
    if check:
        from emrsim.scenario.checks import check_scenario

        problems = check_scenario(scenario)
        if not problems and imported is not None:
            from emrsim.yarn.xml_import import scenario_problems

            name, result = imported
            problems = [
                Problem(FROM_XML, _at(name, p.line, p.message))
                for p in scenario_problems(result, scenario)
            ]
        if problems:
            raise ScenarioError(source, _xml_problems(problems, imported), sources)
    return scenario


# ------------------------------------------------------------------------ yarn.from_xml
FROM_XML: Path = ("yarn", "from_xml")


def _at(name: str, line: int | None, message: str) -> str:
    return f"{name}:{line}: {message}" if line is not None else f"{name}: {message}"


def _import_xml(
    data: dict[str, Any], source: str, sources: SourceMap, base_dir: str | FsPath | None
) -> tuple[dict[str, Any], tuple[str, XmlImport] | None]:
    """Replace ``yarn.from_xml`` by the scheduler and queues the file configures, and put
    what the import dropped (each note prefixed with the file's name) in ``yarn.import_notes``."""
    yarn = data.get("yarn")
    if not isinstance(yarn, dict) or yarn.get("from_xml") is None:
        return data, None
    from emrsim.yarn.xml_import import XmlImportError, import_scheduler_xml

    def fail(messages: list[str]) -> ScenarioError:
        return ScenarioError(source, [Problem(FROM_XML, m) for m in messages], sources)

    name = yarn["from_xml"]
    if not isinstance(name, str) or not name.strip():
        raise fail(
            [
                "must be the path of a capacity-scheduler.xml or of a Fair Scheduler "
                f"allocation file (got {name!r})"
            ]
        )
    if yarn.get("queues") is not None:
        raise fail(["give queues or from_xml, not both"])
    path = FsPath(name)
    if not path.is_absolute():
        path = (FsPath(base_dir) if base_dir is not None else FsPath.cwd()) / path
    try:
        result = import_scheduler_xml(path)
    except XmlImportError as exc:
        messages = [_at(name, p.line, p.message) for p in exc.problems]
        if any(p.message == "no such file" for p in exc.problems):
            messages = [f"{name}: no such file (looked for {path})"]
        raise fail(messages) from None
    conflicts = []
    if "import_notes" in yarn:
        conflicts.append(f"yarn.import_notes is filled from {name}; remove it from the scenario")
    for key, value in result.yarn.items():
        if key == "queues" or key not in yarn or yarn[key] == value:
            continue
        if key == "scheduler":
            conflicts.append(
                f"the scenario says scheduler: {yarn[key]} but {name} configures the "
                f"{value} scheduler; remove yarn.scheduler"
            )
        else:
            origin = result.origin((key,))
            what = _at(name, origin.line, origin.key) if origin else name
            conflicts.append(
                f"yarn.{key} is {yarn[key]!r} in the scenario but {what} sets {value!r}; "
                "give it in one place"
            )
    if conflicts:
        raise fail(conflicts)
    merged = {k: v for k, v in yarn.items() if k != "from_xml"}
    merged.update(result.yarn)
    merged["import_notes"] = result.warnings(name)  # each run reports them as warnings
    return {**data, "yarn": merged}, (name, result)


def _xml_problems(problems: list[Problem], imported: tuple[str, XmlImport] | None) -> list[Problem]:
    """Problems found in imported queues, re-pointed at ``yarn.from_xml`` and the XML line."""
    if imported is None:
        return problems
    name, result = imported
    out: list[Problem] = []
    for problem in problems:
        path = problem.path
        rel = path[1:] if path[:1] == ("yarn",) else ()
        from_file = rel[:1] == ("queues",) or (len(rel) == 1 and rel in result.origins)
        if from_file:
            origin = result.origin(rel)
            key = origin.key if origin else "the imported queues"
            line = origin.line if origin else None
            problem = Problem(
                FROM_XML, _at(name, line, f"{key}: {result.xml_message(problem.message)}")
            )
        if problem not in out:
            out.append(problem)
    return out


# ------------------------------------------------------------------------------- overrides
def apply_overrides(data: Any, overrides: Sequence[str], source: str, sources: SourceMap) -> Any:
    """Apply ``--set a.b.2.c=value`` overrides (value read as YAML) to a copy of ``data``."""
    if not overrides:
        return data
    data = copy.deepcopy(data)
    for item in overrides:
        key, sep, raw = item.partition("=")
        path = tuple(int(p) if p.isdigit() else p for p in key.strip().split("."))
        if not sep or not key.strip() or any(p == "" for p in path):
            raise ScenarioError(
                source, [Problem((), f"--set {item!r}: expected key.path=value")], sources
            )
        sources.overridden.add(path)
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError as exc:
            what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ScenarioError(
                source, [Problem(path, f"--set value is not valid YAML: {what}")], sources
            ) from None
        try:
            data = _set_path(data, path, value, source, sources)
        except ScenarioError as exc:
            # The bad part is a prefix of the --set path: report it as the --set's, not the file's.
            sources.overridden.update(p.path for p in exc.problems if p.path)
            raise
    return data


def _set_path(data: Any, path: Path, value: Any, source: str, sources: SourceMap) -> Any:
    if not isinstance(data, dict):
        raise ScenarioError(source, [Problem((), "a scenario must be a mapping")], sources)
    node: Any = data
    for depth, part in enumerate(path[:-1]):
        nxt = path[depth + 1]
        if isinstance(node, list):
            if not isinstance(part, int) or part >= len(node):
                raise ScenarioError(
                    source, [Problem(path[: depth + 1], "no such list item")], sources
                )
            node = node[part]
        elif isinstance(node, dict):
            if node.get(str(part)) is None:
                node[str(part)] = [] if isinstance(nxt, int) else {}
            node = node[str(part)]
        else:
            raise ScenarioError(
                source, [Problem(path[: depth + 1], "is not a mapping or a list")], sources
            )
    last = path[-1]
    if isinstance(node, list):
        if not isinstance(last, int) or last > len(node):
            raise ScenarioError(source, [Problem(path, "no such list item")], sources)
        if last == len(node):
            node.append(value)
        else:
            node[last] = value
    elif isinstance(node, dict):
        node[str(last)] = value
    else:
        raise ScenarioError(source, [Problem(path[:-1], "is not a mapping or a list")], sources)
    return data


# ------------------------------------------------------------------------ pydantic errors
def _problems(exc: ValidationError, data: Any) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[Path, str]] = set()
    for err in exc.errors(include_url=False):
        path = _data_path(err["loc"], data)
        message = _message(err, path)
        if (path, message) not in seen:
            seen.add((path, message))
            problems.append(Problem(path, message))
    return problems


def _data_path(loc: Sequence[str | int], data: Any) -> Path:
    """Drop the parts of a pydantic location that are union tags, not keys of the data."""
    path: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            node = node[part]
            path.append(part)
        elif (
            i == len(loc) - 1
            and isinstance(node, dict)
            and isinstance(part, str)
            and not part.startswith(("function-", "constrained-"))
            and part not in _TAGS
        ):
            path.append(part)  # a missing key: name it
    return tuple(path)


_TAGS = {
    "constant",
    "exponential",
    "uniform",
    "normal",
    "lognormal",
    "empirical",
    "none",
    "int",
    "str",
    "float",
    "bool",
    "list",
    "dict",
    "literal['auto']",
    "literal['none']",
    "ContainerSize",
}


def _message(err: Mapping[str, Any], path: Path) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        allowed = _allowed_keys(path[:-1])
        text = "unknown key"
        if allowed:
            close = difflib.get_close_matches(str(path[-1]), allowed, n=1)
            if close:
                text += f" (did you mean {close[0]!r}?)"
            text += f"; allowed: {', '.join(sorted(allowed))}"
        return text
    if kind == "union_tag_invalid":
        key = str(ctx.get("discriminator", "tag")).strip("'")
        return f"unknown {key} {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
    if kind == "missing":
        return "required key is missing"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        op = {
            "greater_than_equal": ">=",
            "greater_than": ">",
            "less_than_equal": "<=",
            "less_than": "<",
        }[kind]
        bound = next(iter(ctx.values()))
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)
        return f"must be {op} {bound}"
    if kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        least = kind.endswith("short")
        n = ctx.get("min_length" if least else "max_length")
        unit = "character" if kind.startswith("string") else "item"
        text = f"must have at {'least' if least else 'most'} {n} {unit}{'s' if n != 1 else ''}"
        if "actual_length" in ctx:
            text += f" (got {ctx['actual_length']})"
        return text
    if kind == "finite_number":
        text = f"must be a finite number (got {err.get('input')!r})"
        if path == ("horizon",):
            text += "; leave horizon out to run until the work is done"
        return text
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if msg.startswith("Input should be"):
        msg = "must be" + msg[len("Input should be") :]
    if msg.startswith("Input tag "):
        msg = msg.replace("Input tag", "dist").replace("using 'dist' ", "")
    got = err.get("input")
    if kind.endswith(("_type", "_parsing")) and not isinstance(got, (dict, list)):
        msg += f" (got {got!r})"
    return msg


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    return Scenario.model_json_schema()


def _allowed_keys(path: Path) -> list[str]:
    """Keys allowed at ``path``, found by walking the JSON schema."""
    schema = _schema()
    defs = schema.get("$defs", {})

    def resolve(node: dict[str, Any]) -> list[dict[str, Any]]:
        if "$ref" in node:
            return resolve(defs[node["$ref"].split("/")[-1]])
        options = node.get("anyOf") or node.get("oneOf")
        if options:
            return [r for o in options for r in resolve(o)]
        return [node]

    nodes = resolve(schema)
    for part in path:
        nxt: list[dict[str, Any]] = []
        for node in nodes:
            if isinstance(part, int) and "items" in node:
                nxt += resolve(node["items"])
            elif isinstance(part, str) and part in node.get("properties", {}):
                nxt += resolve(node["properties"][part])
            elif isinstance(part, str) and isinstance(node.get("additionalProperties"), dict):
                nxt += resolve(node["additionalProperties"])
        nodes = nxt
    keys: list[str] = []
    for node in nodes:
        keys += [k for k in node.get("properties", {}) if k not in keys]
    return keys
