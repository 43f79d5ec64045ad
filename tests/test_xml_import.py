"""``yarn: {from_xml: ...}``: importing a Hadoop capacity-scheduler.xml or Fair Scheduler
allocation file (emrsim.yarn.xml_import) and wiring it into scenario loading.

The sample files in tests/data/xml are Apache Hadoop's SLS samples (see LICENSE-NOTE.txt there).
Variants are written to temporary directories; nothing here reads outside tests/.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from cli_support import run_cli

import emrsim
from emrsim.scenario import ScenarioError, load_scenario, scenario_from_text
from emrsim.yarn.xml_import import XmlImportError, import_scheduler_xml, yarn_from_xml

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "xml"
CAPACITY_XML = DATA / "capacity-scheduler.xml"
FAIR_XML = DATA / "fair-scheduler-allocation.xml"
FAIR_SITE_XML = DATA / "fair-scheduler.xml"
CS = "yarn.scheduler.capacity."

SCENARIO = """\
name: xml-import
seed: 3
cluster:
  instance_groups:
    - {{role: primary, instance_type: m5.xlarge, count: 1}}
    - {{role: core, instance_type: m5.xlarge, count: 2}}
yarn:
  from_xml: {xml}
{extra}workload:
  steps:
    - name: etl
      queue: {queue}
      job:
        stages:
          - {{name: map, tasks: 8, duration: 60}}
          - {{name: reduce, tasks: 2, duration: 30}}
  streams:
    - name: adhoc
      queue: {queue}
      interarrival: 45
      count: {count}
      job:
        stages:
          - {{name: map, tasks: 2, duration: 20}}
"""
FROM_XML_LINE = 8  # the line of "from_xml:" in SCENARIO


def scenario_text(xml: str, *, queue: str = "sls_queue_1", count: int = 3, extra: str = "") -> str:
    return SCENARIO.format(xml=xml, queue=queue, count=count, extra=extra)


def write_scenario(directory: Path, xml: str, name: str = "scenario.yaml", **kw: object) -> Path:
    path = directory / name
    path.write_text(scenario_text(xml, **kw), encoding="utf-8")  # type: ignore[arg-type]
    return path


def configuration(*props: tuple[str, str]) -> str:
    body = "\n".join(
        f"  <property>\n    <name>{k}</name>\n    <value>{v}</value>\n  </property>"
        for k, v in props
    )
    return f'<?xml version="1.0"?>\n<configuration>\n{body}\n</configuration>\n'


def allocations(body: str) -> str:
    return f'<?xml version="1.0"?>\n<allocations>\n{body}\n</allocations>\n'


def two_queues(a: str = "50", b: str = "50", *more: tuple[str, str]) -> str:
    return configuration(
        (CS + "root.queues", "a,b"), (CS + "root.a.capacity", a), (CS + "root.b.capacity", b), *more
    )


def import_text(tmp_path: Path, text: str, name: str = "conf.xml") -> tuple[dict, list[str]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return yarn_from_xml(path)


def rejection(tmp_path: Path, text: str) -> str:
    path = tmp_path / "conf.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(XmlImportError) as info:
        import_scheduler_xml(path)
    return "\n".join(f"{p.line}: {p.message}" for p in info.value.problems)


# ------------------------------------------------------------------------ the samples
def test_samples_are_the_apache_files_with_their_licence() -> None:
    note = (DATA / "LICENSE-NOTE.txt").read_text(encoding="utf-8")
    assert "Apache License, Version 2.0" in note
    for path in (CAPACITY_XML, FAIR_XML, FAIR_SITE_XML):
        assert path.name in note
        assert "Licensed under the Apache License, Version 2.0" in path.read_text("utf-8")


def test_capacity_sample_queues() -> None:
    yarn, warnings = yarn_from_xml(CAPACITY_XML)
    assert yarn["scheduler"] == "capacity"
    queues = {q["name"]: q for q in yarn["queues"]}
    assert list(queues) == ["sls_queue_1", "sls_queue_2", "sls_queue_3"]
    assert [q["capacity"] for q in queues.values()] == [25, 25, 50]
    assert [q["max_capacity"] for q in queues.values()] == [100, 100, 100]
    assert all("queues" not in q for q in queues.values())
    assert warnings == []  # the sample sets nothing that is dropped


def test_fair_allocation_sample_queues() -> None:
    yarn, warnings = yarn_from_xml(FAIR_XML)
    assert yarn["scheduler"] == "fair"
    queues = {q["name"]: q for q in yarn["queues"]}
    sls = ["sls_queue_1", "sls_queue_2", "sls_queue_3"]
    assert [queues[n]["weight"] for n in sls] == [0.25, 0.25, 0.5]
    for name in sls:
        assert queues[name]["min_resources"] == {"memory_mb": 1024, "vcores": 1}
        assert queues[name]["scheduling_policy"] == "fair"  # <schedulingMode>, the old name
        assert "max_resources" not in queues[name]
    # The Fair Scheduler always has root.default.
    assert queues["default"] == {"name": "default"}
    text = "\n".join(warnings)
    # Nothing is dropped silently: preemption timeouts, the user limits, the placement.
    assert text.count("<minSharePreemptionTimeout> of queue root.sls_queue_") == 3
    assert "<maxRunningJobs> of user 'jenkins' = 1000" in text
    assert "<userMaxAppsDefault>" in text
    assert "no <queuePlacementPolicy>" in text


def test_yarn_site_fair_configuration_points_at_the_allocation_file() -> None:
    with pytest.raises(XmlImportError) as info:
        yarn_from_xml(FAIR_SITE_XML)
    message = str(info.value)
    assert "not a queue allocation file" in message
    assert "fair-scheduler-allocation.xml" in message
    assert "preemption" in message


# -------------------------------------------------------------------- scenario loading
@pytest.mark.parametrize("sample", [CAPACITY_XML, FAIR_XML], ids=["capacity", "fair"])
def test_scenario_from_xml_validates_and_runs(tmp_path: Path, sample: Path) -> None:
    shutil.copy(sample, tmp_path / sample.name)
    scenario = load_scenario(write_scenario(tmp_path, sample.name))
    assert scenario.yarn.from_xml is None  # replaced by what the file configures
    names = [q.name for q in scenario.yarn.queues or []]
    assert names[:3] == ["sls_queue_1", "sls_queue_2", "sls_queue_3"]
    if sample is CAPACITY_XML:
        assert scenario.yarn.scheduler == "capacity"
        assert [q.capacity for q in scenario.yarn.queues or []] == [25, 25, 50]
    else:
        assert scenario.yarn.scheduler == "fair"
        assert [q.weight for q in (scenario.yarn.queues or [])[:3]] == [0.25, 0.25, 0.5]
    _document, results = emrsim.simulate(scenario, replications=1)
    jobs = results[0].jobs
    assert len(jobs) == 4
    assert {j.queue for j in jobs} == {"sls_queue_1"}
    assert all(j.state == "COMPLETED" for j in jobs), [(j.name, j.state) for j in jobs]


def test_path_is_relative_to_the_scenario_file(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    shutil.copy(CAPACITY_XML, tmp_path / "conf" / "cs.xml")
    path = write_scenario(tmp_path, "conf/cs.xml")
    assert load_scenario(path).yarn.scheduler == "capacity"
    proc = run_cli("validate", str(path))  # run from the repository root, not tmp_path
    assert proc.returncode == 0, proc.stderr
    assert "ok" in proc.stdout.split()


def test_cli_validate_accepts_the_sample(tmp_path: Path) -> None:
    shutil.copy(CAPACITY_XML, tmp_path / CAPACITY_XML.name)
    path = write_scenario(tmp_path, CAPACITY_XML.name)
    proc = run_cli("validate", str(path))
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr


def test_text_without_a_path_resolves_against_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(CAPACITY_XML, tmp_path / "cs.xml")
    monkeypatch.chdir(tmp_path)
    scenario = scenario_from_text(scenario_text("cs.xml"))
    assert (scenario.yarn.queues or [])[0].name == "sls_queue_1"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with pytest.raises(ScenarioError, match="no such file"):
        scenario_from_text(scenario_text("cs.xml"))
    assert scenario_from_text(scenario_text("cs.xml"), base_dir=tmp_path).yarn.queues


def test_set_override_imports_too(tmp_path: Path) -> None:
    shutil.copy(CAPACITY_XML, tmp_path / "cs.xml")
    (tmp_path / "bad.xml").write_text(two_queues("60", "30"), encoding="utf-8")
    path = write_scenario(tmp_path, "cs.xml")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, ["yarn.from_xml=bad.xml"])
    assert info.value.lines() == [
        f"{path} (--set): yarn.from_xml: bad.xml:3: {CS}root.queues: capacities of the "
        "children of 'root' must sum to 100 (they sum to 90)"
    ]


# ------------------------------------------------------------------------ bad inputs
BAD = {
    # name: (XML text or None for no file, extra yarn keys, message, XML line or None)
    "missing_file": (None, "", "no such file", None),
    "malformed_xml": (
        '<?xml version="1.0"?>\n<configuration>\n  <property>\n    <name>x</name>\n'
        "  </propertyy>\n</configuration>\n",
        "",
        "not well-formed XML: mismatched tag",
        5,
    ),
    "queues_and_from_xml": (
        two_queues(),
        "  queues: [{name: sls_queue_1}]\n",
        "give queues or from_xml, not both",
        None,
    ),
    "capacities_not_100": (
        two_queues("60", "30"),
        "",
        f"{CS}root.queues: capacities of the children of 'root' must sum to 100 (they sum to 90)",
        3,
    ),
    "capacity_weight": (
        two_queues("2w", "1w"),
        "",
        f"{CS}root.a.capacity: capacity as a weight ('2w') is not supported yet",
        7,
    ),
}


def _bad_scenario(tmp_path: Path, case: str) -> tuple[Path, str, int | None]:
    xml, extra, message, line = BAD[case]
    if xml is not None:
        (tmp_path / f"{case}.xml").write_text(xml, encoding="utf-8")
    queue = "sls_queue_1" if case == "queues_and_from_xml" else "a"
    path = write_scenario(tmp_path, f"{case}.xml", queue=queue, extra=extra)
    where = f"{case}.xml:{line}: " if line is not None else f"{case}.xml: "
    if case == "queues_and_from_xml":
        where = ""
    return path, where + message, line


@pytest.mark.parametrize("case", list(BAD))
def test_bad_from_xml_load_scenario(tmp_path: Path, case: str) -> None:
    path, message, _line = _bad_scenario(tmp_path, case)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    lines = info.value.lines()
    prefix = f"{path}:{FROM_XML_LINE}: yarn.from_xml: "
    assert any(line.startswith(prefix) and message in line for line in lines), "\n".join(lines)
    assert len(lines) == 1 + (case == "capacity_weight"), "\n".join(lines)  # 2w and 1w


@pytest.mark.parametrize("case", list(BAD))
def test_bad_from_xml_cli_validate(tmp_path: Path, case: str) -> None:
    path, message, _line = _bad_scenario(tmp_path, case)
    proc = run_cli("validate", str(path))
    assert proc.returncode == 2, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    assert f"{path}:{FROM_XML_LINE}: yarn.from_xml: " in proc.stderr, proc.stderr
    assert message in proc.stderr, proc.stderr


def test_missing_file_names_where_it_looked(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, "nope.xml")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(tmp_path / "nope.xml") in info.value.render()


def test_scheduler_conflict_with_the_scenario(tmp_path: Path) -> None:
    shutil.copy(CAPACITY_XML, tmp_path / "cs.xml")
    path = write_scenario(tmp_path, "cs.xml", extra="  scheduler: fair\n")
    with pytest.raises(ScenarioError, match="configures the capacity scheduler"):
        load_scenario(path)
    ok = write_scenario(tmp_path, "cs.xml", "same.yaml", extra="  scheduler: capacity\n")
    assert load_scenario(ok).yarn.scheduler == "capacity"


def test_yarn_wide_keys_come_from_the_file_and_conflicts_are_errors(tmp_path: Path) -> None:
    (tmp_path / "cs.xml").write_text(
        two_queues(
            "50",
            "50",
            (CS + "maximum-am-resource-percent", "0.25"),
            (
                CS + "resource-calculator",
                "org.apache.hadoop.yarn.util.resource.DominantResourceCalculator",
            ),
        ),
        encoding="utf-8",
    )
    path = write_scenario(tmp_path, "cs.xml", queue="a", extra="  max_am_attempts: 3\n")
    yarn = load_scenario(path).yarn
    assert yarn.maximum_am_resource_percent == 25
    assert yarn.resource_calculator == "drf"
    assert yarn.max_am_attempts == 3  # other yarn keys are kept
    clash = write_scenario(
        tmp_path, "cs.xml", "clash.yaml", queue="a", extra="  maximum_am_resource_percent: 30\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(clash)
    assert "maximum-am-resource-percent" in info.value.render()
    assert "give it in one place" in info.value.render()


def test_errors_in_imported_values_point_at_the_xml(tmp_path: Path) -> None:
    (tmp_path / "fair.xml").write_text(
        allocations(
            '  <queuePlacementPolicy><rule name="specified"/><rule name="default"/>'
            "</queuePlacementPolicy>\n"
            '  <queue name="a">\n'
            "    <minResources>4096 mb, 4 vcores</minResources>\n"
            "    <maxResources>2048 mb, 4 vcores</maxResources>\n"
            "  </queue>"
        ),
        encoding="utf-8",
    )
    path = write_scenario(tmp_path, "fair.xml", queue="a")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.lines() == [
        f"{path}:{FROM_XML_LINE}: yarn.from_xml: fair.xml:5: <minResources> of queue root.a: "
        "must not exceed maxResources"
    ]


# ------------------------------------------------------------------ capacity mapping
def test_capacity_tree_and_value_forms(tmp_path: Path) -> None:
    yarn, warnings = import_text(
        tmp_path,
        configuration(
            (CS + "root.queues", "etl, adhoc"),
            (CS + "root.etl.capacity", "70"),
            (CS + "root.etl.maximum-capacity", "-1"),
            (CS + "root.etl.queues", "nightly,hourly"),
            (CS + "root.etl.nightly.capacity", "60"),
            (CS + "root.etl.nightly.user-limit-factor", "2"),
            (CS + "root.etl.nightly.minimum-user-limit-percent", "50"),
            (CS + "root.etl.nightly.maximum-am-resource-percent", "0.5"),
            (CS + "root.etl.nightly.ordering-policy", "fair"),
            (CS + "root.etl.hourly.capacity", "40"),
            (CS + "root.etl.hourly.user-limit-factor", "-1"),
            (CS + "root.adhoc.capacity", "30"),
            (CS + "root.adhoc.maximum-capacity", "45.5"),
            (CS + "root.adhoc.acl_submit_applications", "alice"),
            (CS + "root.adhoc.state", "RUNNING"),
            (CS + "root.ghost.capacity", "10"),
            (CS + "node-locality-delay", "40"),
        ),
    )
    etl, adhoc = yarn["queues"]
    assert etl["name"] == "etl" and etl["capacity"] == 70 and etl["max_capacity"] == 100
    nightly, hourly = etl["queues"]
    assert nightly == {
        "name": "nightly",
        "capacity": 60,
        "user_limit_factor": 2,
        "minimum_user_limit_percent": 50,
        "maximum_am_resource_percent": 50,
        "ordering_policy": "fair",
    }
    assert hourly["user_limit_factor"] >= 1e9  # -1: no factor limit
    assert adhoc["max_capacity"] == 45.5
    text = "\n".join(warnings)
    assert "acl_submit_applications: dropped" in text
    assert "root.adhoc.state: dropped" in text
    assert "root.ghost.capacity: dropped: for a queue that is not in the queue tree" in text
    assert "node-locality-delay: dropped" in text


def test_user_limit_factor_minus_one_in_a_zero_capacity_queue_is_infinite(
    tmp_path: Path,
) -> None:
    yarn, _ = import_text(tmp_path, two_queues("100", "0", (CS + "root.b.user-limit-factor", "-1")))
    assert math.isinf(yarn["queues"][1]["user_limit_factor"])


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ([(CS + "root.a.capacity", "[memory=1024,vcores=1]")], "absolute resources"),
        ([(CS + "root.a.frobnicate", "1")], "unknown capacity scheduler queue key 'frobnicate'"),
        ([("yarn.scheduler.minimum-allocation-mb", "512")], "not a capacity scheduler key"),
        ([(CS + "root.a.state", "STOPPED")], "accepts no applications"),
        ([(CS + "root.a.accessible-node-labels.CORE.capacity", "100")], "node labels"),
        ([(CS + "queue-mappings", "u:bob:a")], "queue mappings"),
        ([(CS + "root.a.maximum-capacity", "40")], "maximum-capacity (40) must be >= capacity"),
        ([(CS + "root.a.maximum-am-resource-percent", "10")], "fraction > 0 and <= 1"),
        ([(CS + "root.*.capacity", "10")], "wildcard"),
        ([(CS + "root.a.priority", "3")], "queue priorities"),
    ],
)
def test_capacity_rejections(tmp_path: Path, props: list[tuple[str, str]], message: str) -> None:
    found = rejection(tmp_path, two_queues("50", "50", *props))
    assert message in found, found


def test_capacity_without_capacity_is_rejected(tmp_path: Path) -> None:
    found = rejection(
        tmp_path, configuration((CS + "root.queues", "a,b"), (CS + "root.a.capacity", "100"))
    )
    assert f"{CS}root.b.capacity is missing" in found


def test_not_a_scheduler_file(tmp_path: Path) -> None:
    assert "expected <configuration>" in rejection(tmp_path, "<html><body/></html>")
    assert "not a capacity-scheduler.xml" in rejection(
        tmp_path, configuration(("dfs.replication", "3"))
    )


# ---------------------------------------------------------------------- fair mapping
def test_fair_forms_and_defaults(tmp_path: Path) -> None:
    yarn, warnings = import_text(
        tmp_path,
        allocations(
            "  <defaultQueueSchedulingPolicy>drf</defaultQueueSchedulingPolicy>\n"
            "  <queueMaxAMShareDefault>0.3</queueMaxAMShareDefault>\n"
            '  <queue name="root">\n'
            "    <aclSubmitApps>*</aclSubmitApps>\n"
            '    <queue name="etl">\n'
            "      <weight>2</weight>\n"
            '      <pool name="nightly">\n'
            "        <minResources>memory-mb=2048, vcores=2</minResources>\n"
            "        <maxResources>memory-mb=8Gi</maxResources>\n"
            "        <maxRunningApps>4</maxRunningApps>\n"
            "        <schedulingPolicy>fifo</schedulingPolicy>\n"
            "      </pool>\n"
            "    </queue>\n"
            '    <queue name="default"><maxAMShare>-1</maxAMShare></queue>\n'
            "  </queue>\n"
            "  <queuePlacementPolicy>\n"
            '    <rule name="specified"/>\n'
            '    <rule name="default" queue="default"/>\n'
            "  </queuePlacementPolicy>"
        ),
    )
    assert yarn["default_scheduling_policy"] == "drf"
    etl, default = yarn["queues"]
    assert etl["weight"] == 2 and "max_am_share" not in etl  # a parent: no AM share
    nightly = etl["queues"][0]
    assert nightly["min_resources"] == {"memory_mb": 2048, "vcores": 2}
    assert nightly["max_resources"] == {"memory_mb": 8192, "vcores": 2**31 - 1}
    assert nightly["max_running_apps"] == 4
    assert nightly["scheduling_policy"] == "fifo"
    assert nightly["max_am_share"] == 0.3
    assert default == {"name": "default", "max_am_share": -1}
    assert any("<aclSubmitApps> of the root queue: dropped" in w for w in warnings)


def test_root_policy_differing_from_the_default_is_written_into_queues(tmp_path: Path) -> None:
    yarn, _ = import_text(
        tmp_path,
        allocations(
            '<queue name="root"><schedulingPolicy>drf</schedulingPolicy>'
            '<queue name="a"/><queue name="b"><schedulingPolicy>fifo</schedulingPolicy></queue>'
            "</queue>"
        ),
    )
    assert yarn["default_scheduling_policy"] == "drf"  # the root's
    a, b, default = yarn["queues"]
    assert (a["scheduling_policy"], b["scheduling_policy"]) == ("fair", "fifo")
    assert default["scheduling_policy"] == "fair"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('<queue name="a"><maxResources>50%</maxResources></queue>', "percentages"),
        (
            '<queue name="a"><maxResources>memory-mb=50%, vcores=50%</maxResources></queue>',
            "percentages",
        ),
        ('<queue name="a"><minResources>1024 mb</minResources></queue>', "gives no vcores"),
        ('<queue name="a"><frob>1</frob></queue>', "unknown queue element"),
        ("<queueMaxResourcesDefault>1 mb, 1 vcores</queueMaxResourcesDefault>", "maxResources"),
        (
            '<queue name="p"><schedulingPolicy>fifo</schedulingPolicy><queue name="c"/></queue>',
            "fifo is for leaf queues only",
        ),
        ("<defaultQueueSchedulingPolicy>fifo</defaultQueueSchedulingPolicy>", "root queue"),
        ('<queuePlacementPolicy><rule name="user"/></queuePlacementPolicy>', "specified"),
        ('<queue name="p" type="parent"/>', "ad hoc child queues"),
        ('<queue name="a"><weight>0</weight></queue>', "weight 0"),
    ],
)
def test_fair_rejections(tmp_path: Path, body: str, message: str) -> None:
    found = rejection(tmp_path, allocations(body))
    assert message in found, found


# --------------------------------------------------- conditions checked on the scenario
def _fair_file(tmp_path: Path, body: str) -> str:
    (tmp_path / "fair.xml").write_text(allocations(body), encoding="utf-8")
    return "fair.xml"


SPECIFIED_THEN_DEFAULT = (
    '<queuePlacementPolicy><rule name="specified"/><rule name="default"/></queuePlacementPolicy>'
)


def test_application_limits_hold_only_for_small_enough_workloads(tmp_path: Path) -> None:
    xml = _fair_file(
        tmp_path,
        f'<userMaxAppsDefault>5</userMaxAppsDefault><queue name="a"/>{SPECIFIED_THEN_DEFAULT}',
    )
    small = write_scenario(tmp_path, xml, "small.yaml", queue="a", count=4)  # 1 step + 4
    assert load_scenario(small).yarn.scheduler == "fair"
    big = write_scenario(tmp_path, xml, "big.yaml", queue="a", count=5)  # 1 step + 5
    with pytest.raises(ScenarioError) as info:
        load_scenario(big)
    assert info.value.lines() == [
        f"{big}:{FROM_XML_LINE}: yarn.from_xml: fair.xml:3: <userMaxAppsDefault> (applications "
        "each user runs at once) = 5: emrsim cannot enforce this limit on applications, and "
        "this workload may submit 6 jobs; remove it from the file or submit at most 5 jobs"
    ]


def test_fair_sample_needs_every_job_to_name_its_queue(tmp_path: Path) -> None:
    shutil.copy(FAIR_XML, tmp_path / FAIR_XML.name)
    path = write_scenario(tmp_path, FAIR_XML.name, queue="default")
    with pytest.raises(ScenarioError, match="give every job its queue"):
        load_scenario(path)
    xml = _fair_file(tmp_path, f'<queue name="a"/>{SPECIFIED_THEN_DEFAULT}')
    fine = write_scenario(tmp_path, xml, "fine.yaml", queue="default")
    assert load_scenario(fine).yarn.scheduler == "fair"


def test_disable_preemption_needs_preemption_off(tmp_path: Path) -> None:
    (tmp_path / "cs.xml").write_text(
        two_queues("50", "50", (CS + "root.b.disable_preemption", "true")), encoding="utf-8"
    )
    off = write_scenario(tmp_path, "cs.xml", queue="a")
    assert load_scenario(off).yarn.queues
    on = write_scenario(tmp_path, "cs.xml", "on.yaml", queue="a", extra="  preemption: true\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(on)
    assert "root.b.disable_preemption: with yarn.preemption on" in info.value.render()


# ------------------------------------------------------------- dropped keys reach the run
def _run_json_warnings(path: Path) -> list[str]:
    proc = run_cli("run", str(path), "--json", "--replications", "1")
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    return json.loads(proc.stdout)["warnings"]


def test_dropped_keys_are_run_warnings(tmp_path: Path) -> None:
    (tmp_path / "cs.xml").write_text(
        two_queues("50", "50", (CS + "root.a.acl_submit_applications", "alice")), encoding="utf-8"
    )
    path = write_scenario(tmp_path, "cs.xml", queue="a")
    notes = load_scenario(path).yarn.import_notes
    assert len(notes) == 1 and notes[0].startswith("cs.xml:")
    assert f"{CS}root.a.acl_submit_applications: dropped: access control" in notes[0]
    assert notes[0] in _run_json_warnings(path)
    # A file with nothing dropped gives no such warning.
    shutil.copy(CAPACITY_XML, tmp_path / "clean.xml")
    clean = write_scenario(tmp_path, "clean.xml", "clean.yaml")
    assert load_scenario(clean).yarn.import_notes == []
    assert not [w for w in _run_json_warnings(clean) if "clean.xml" in w or "dropped" in w]


def test_import_notes_are_the_loaders(tmp_path: Path) -> None:
    shutil.copy(CAPACITY_XML, tmp_path / "cs.xml")
    path = write_scenario(tmp_path, "cs.xml", extra="  import_notes: [hand-written]\n")
    with pytest.raises(ScenarioError, match=r"yarn\.import_notes is filled from cs\.xml"):
        load_scenario(path)


def test_a_rejected_queue_name_does_not_hide_a_missing_capacity(tmp_path: Path) -> None:
    found = rejection(
        tmp_path,
        configuration((CS + "root.queues", "a,b!,c"), (CS + "root.a.capacity", "100")),
    )
    assert "queue name 'b!' may contain only letters" in found
    assert f"{CS}root.c.capacity is missing" in found
