"""Importing a Hadoop scheduler configuration: ``yarn: {from_xml: capacity-scheduler.xml}``.

:func:`yarn_from_xml` reads a ``capacity-scheduler.xml`` (a Hadoop ``<configuration>`` of
``yarn.scheduler.capacity.*`` properties) or a Fair Scheduler allocation file (``<allocations>``)
and returns the scenario's ``yarn`` mapping as plain data (``scheduler``, nested ``queues`` and
the yarn-wide keys the file sets), to be validated by :mod:`emrsim.scenario.models` like any
scenario, and a list of warnings naming every key that was read but dropped. The scenario
loader (:mod:`emrsim.scenario.load`) uses :func:`import_scheduler_xml`, which also keeps where
each value came from, so that later errors point at the XML line, and puts the warnings in
``yarn.import_notes``, which every run reports.

The rule: every key is mapped, dropped or rejected; none is skipped silently. A key may be
dropped only when it cannot change which application gets which resources in emrsim; a key
that would, and that emrsim cannot honour, is rejected with its line and the reason. What is
mapped, dropped and rejected is listed in :mod:`~emrsim.yarn.xml_import.capacity` and
:mod:`~emrsim.yarn.xml_import.capacity_unmapped` (the capacity scheduler), and in
:mod:`~emrsim.yarn.xml_import.fair` (Fair Scheduler allocation files).

Accepted on a condition that the loader checks against the scenario (rejected otherwise):
- limits on the number of applications, which emrsim does not enforce (capacity
  ``maximum-applications`` and ``max-parallel-apps``; fair ``userMaxAppsDefault``, a user's
  ``maxRunningApps``, the root's ``maxRunningApps``, ``queueMaxAppsDefault`` as the root's
  limit): they can never bind when the whole workload submits at most that many jobs;
- a placement policy that would send applications submitted to ``default`` anywhere but
  ``root.default``, or no placement policy (Hadoop's choice then depends on yarn-site.xml's
  ``user-as-default-queue``): honoured when no job is submitted to ``default``;
- capacity ``disable_preemption`` true and ``lazy-preemption-enabled`` true: honoured when
  ``yarn.preemption`` is off.

Read without a warning, having no scheduling effect: XML comments and the ``<description>``,
``<final>``, ``<source>`` and ``<tag>`` of a property.

Modules: :mod:`~emrsim.yarn.xml_import.results` (what an import yields),
:mod:`~emrsim.yarn.xml_import.xmlnodes` (XML with line numbers, the shared reader),
:mod:`~emrsim.yarn.xml_import.capacity` and :mod:`~emrsim.yarn.xml_import.capacity_unmapped`
(capacity-scheduler.xml), :mod:`~emrsim.yarn.xml_import.fair` and
:mod:`~emrsim.yarn.xml_import.fair_values` (allocation files).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from emrsim.yarn.xml_import.capacity import CS, CapacityReader
from emrsim.yarn.xml_import.fair import FairReader
from emrsim.yarn.xml_import.results import (
    AppLimit,
    Dropped,
    KeyPath,
    Origin,
    XmlImport,
    XmlImportError,
    XmlProblem,
)
from emrsim.yarn.xml_import.xmlnodes import NOT_YET, parse

if TYPE_CHECKING:
    from emrsim.scenario.models import Scenario

__all__ = [
    "CS",
    "AppLimit",
    "Dropped",
    "KeyPath",
    "Origin",
    "XmlImport",
    "XmlImportError",
    "XmlProblem",
    "import_scheduler_xml",
    "scenario_problems",
    "yarn_from_xml",
]


def yarn_from_xml(path: str | Path) -> tuple[dict[str, Any], list[str]]:
    """The ``yarn`` mapping imported from a scheduler XML file, and warnings for every key
    that was read and dropped (or accepted on a condition on the workload).

    Raises :class:`XmlImportError` when the file cannot be read, is not well-formed, or sets
    something that changes the scheduling and that emrsim cannot honour.
    """
    imported = import_scheduler_xml(path)
    return imported.yarn, imported.warnings(str(path))


def import_scheduler_xml(path: str | Path) -> XmlImport:
    """Read a capacity-scheduler.xml or a Fair Scheduler allocation file (see the module)."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise XmlImportError([XmlProblem(None, "no such file")]) from None
    except OSError as exc:
        raise XmlImportError([XmlProblem(None, f"cannot read the file: {exc.strerror}")]) from None
    root = parse(data)
    if root.tag == "allocations":
        return FairReader(root).run()
    if root.tag == "configuration":
        return CapacityReader(root).run()
    raise XmlImportError(
        [
            XmlProblem(
                root.line,
                f"expected <configuration> (capacity-scheduler.xml) or <allocations> (a Fair "
                f"Scheduler allocation file), found <{root.tag}>",
            )
        ]
    )


def scenario_problems(imported: XmlImport, scenario: Scenario) -> list[XmlProblem]:
    """The conditions of :class:`XmlImport` (on the workload, on preemption) that this
    scenario does not meet."""
    workload = scenario.workload
    jobs: int | None = None  # None: unbounded
    if not workload.traces and all(s.count is not None for s in workload.streams):
        jobs = len(workload.steps) + sum(s.count or 0 for s in workload.streams)
    problems: list[XmlProblem] = []
    for lim in imported.app_limits:
        if jobs is None or jobs > lim.limit:
            many = "an unbounded number of" if jobs is None else str(jobs)
            problems.append(
                XmlProblem(
                    lim.line,
                    f"{lim.key} = {lim.limit}: emrsim cannot enforce this limit on "
                    f"applications, and this workload may submit {many} jobs; remove it from "
                    f"the file or submit at most {lim.limit} jobs",
                )
            )
    rule = imported.default_queue_rule
    if rule is not None:
        jobs_queues = [s.job.queue or s.queue or "default" for s in workload.steps]
        jobs_queues += [s.job.queue or s.queue or "default" for s in workload.streams]
        if any(q in ("default", "root.default") for q in jobs_queues):
            problems.append(
                XmlProblem(
                    rule.line,
                    f"{rule.key}: Hadoop may place applications submitted to 'default' "
                    "elsewhere, emrsim runs them in 'default': give every job its queue, or "
                    'make the placement policy <rule name="specified"/><rule name="default"/>',
                )
            )
    if scenario.yarn.preemption.enabled:
        problems += [
            XmlProblem(
                o.line,
                f"{o.key}: with yarn.preemption on this changes which containers are "
                f"preempted, and that is {NOT_YET}",
            )
            for o in imported.needs_no_preemption
        ]
    return problems
