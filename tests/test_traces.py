"""Trace replay (workload.traces): each reader's field mapping, on small excerpts and on the real
files shipped in emrsim/data/traces/ (and the Google excerpt in tests/data/traces/), their
replay on the clock, and the errors they give.

The real files: SWIM's FB-2009 day (BSD, github.com/SWIMProjectUCB/SWIM), Hadoop SLS's Rumen
history of two TeraGen jobs and its SLS/synthetic examples (Apache-2.0, Apache Hadoop), and the
first 1,000 job arrivals of Google's clusterdata-2011 (CC-BY, Google), each with its SOURCE.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from emrsim.engine import Simulation
from emrsim.random import RunStreams
from emrsim.result import RunResult
from emrsim.scenario import Scenario, ScenarioError, load_scenario, scenario_from_text
from emrsim.scenario.models import Trace
from emrsim.workload.traces import TraceError, TraceJob, build_jobs, parse
from emrsim.workload.traces.common import json_objects

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "emrsim" / "data" / "traces"
SWIM_DAY = DATA / "swim" / "FB-2009_samples_24_times_1hr_0.tsv"
RUMEN = DATA / "hadoop-sls" / "2jobs2min-rumen-jh.json"
GOOGLE = ROOT / "tests" / "data" / "traces" / "google-2011" / "2011_arrivals_first1000.csv"
MB = 1024 * 1024

HEAD = """\
name: traces
seed: {seed}
release_label: emr-6.15.0
cluster:
  instance_groups:
    - {{role: primary, instance_type: m5.xlarge, count: 1}}
    - {{role: core, instance_type: m5.xlarge, count: {core}}}
"""
SLS_QUEUES = """\
yarn:
  queues:
    - {name: sls_queue_1, capacity: 25, max_capacity: 100, user_limit_factor: 4}
    - {name: sls_queue_2, capacity: 25, max_capacity: 100, user_limit_factor: 4}
    - {name: sls_queue_3, capacity: 50, max_capacity: 100, user_limit_factor: 2}
"""


def scenario(traces: str, *, core: int = 4, seed: int = 1, extra: str = "") -> Scenario:
    """A scenario with the given ``workload.traces`` items (YAML, indented by 4)."""
    text = HEAD.format(seed=seed, core=core) + extra + "workload:\n  traces:\n" + traces
    return scenario_from_text(text, "test.yaml", base_dir=ROOT)


def simulate(s: Scenario, events: Path | None = None) -> RunResult:
    return Simulation(s, 0, events).run()


def trace_jobs(s: Scenario, index: int = 0, seed_replication: int = 0) -> list[TraceJob]:
    trace = s.workload.traces[index]
    streams = RunStreams(s.seed, seed_replication)
    return build_jobs(
        trace,
        parse(trace),
        block_size_mb=s.hdfs.block_size_mb,
        arrivals_rng=streams.stream("arrivals", 2, index),
        sizes_rng=streams.stream("durations", 2, index),
    )


def container_durations(events: Path) -> dict[int, dict[str, list[float]]]:
    """Per application and stage, how long each container of a task ran."""
    started: dict[int, tuple[int, str, float]] = {}
    out: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for line in events.read_text().splitlines():
        e = json.loads(line)
        if e["event"] == "container_started" and "stage" in e:
            started[e["container"]] = (e["app"], e["stage"], e["time_s"])
        elif e["event"] == "container_completed" and e["container"] in started:
            app, stage, t0 = started.pop(e["container"])
            out[app][stage].append(e["time_s"] - t0)
    return out


def submit_offsets(result: RunResult) -> list[float]:
    ready = result.summary["cluster_ready_s"]
    return [j.submit_s - ready for j in result.jobs]


# ------------------------------------------------------------------------------------ swim
def swim_rows(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in path.read_text().splitlines() if line.strip()]


def test_swim_reads_the_real_fb2009_day() -> None:
    parsed = parse(Trace(format="swim", path=str(SWIM_DAY)))
    rows = swim_rows(SWIM_DAY)
    assert len(parsed.records) == len(rows) == 5894
    line, job_id, submit, inp, shuffle, out = parsed.records[0]
    assert (line, job_id, submit, inp, shuffle, out) == (1, "job0", 49.0, 740773, 2339561, 627471)
    assert [r[1] for r in parsed.records] == [r[0] for r in rows]
    assert [r[2] for r in parsed.records] == [float(r[1]) for r in rows]


def test_swim_field_mapping_on_an_excerpt(tmp_path: Path) -> None:
    (tmp_path / "day.tsv").write_text(
        "a\t10\t10\t314572800\t209715200\t52428800\n"  # 300 MB in, 200 MB shuffle, 50 MB out
        "b\t25\t15\t0\t0\t1048576\n"  # no input, no shuffle: one map writing the output
        "c\t40\t15\t268435456\t1\t0\n"  # exactly 2 blocks, a 1-byte shuffle: 1 reducer
    )
    s = scenario(f"    - {{format: swim, path: {tmp_path / 'day.tsv'}, start: 100}}\n")
    a, b, c = trace_jobs(s)
    assert [j.name for j in (a, b, c)] == ["a", "b", "c"]
    assert [j.offset_s for j in (a, b, c)] == [100.0, 115.0, 130.0]
    assert all(j.queue == "default" and j.job_type == "mapreduce" for j in (a, b, c))
    rate = 20.0  # task_mb_per_s default, MB of 2^20 bytes
    # a: ceil(300 / 128) = 3 maps reading 128, 128 and 44 MB, each writing 200/3 MB of shuffle;
    # ceil(200 / 128) = 2 reducers reading 100 MB and writing 25 MB each.
    maps, reduces = a.stages
    assert (maps.name, reduces.name) == ("map", "reduce")
    assert maps.durations == pytest.approx(
        [(128 + 200 / 3) / rate, (128 + 200 / 3) / rate, (44 + 200 / 3) / rate]
    )
    assert reduces.durations == pytest.approx([(100 + 25) / rate] * 2)
    assert maps.input_gb == reduces.output_gb == 0.0  # hdfs: false by default
    # b: a job with no input still runs one map; no shuffle, no reduce stage.
    assert len(b.stages) == 1
    assert b.stages[0].durations == pytest.approx([1 / rate])
    # c: two full blocks, two maps; any shuffle gives at least one reducer.
    assert c.stages[0].durations == pytest.approx([(128 + 0.5 / MB) / rate] * 2)
    assert len(c.stages[1].durations) == 1


def test_swim_options_scale_sizes_throughput_and_hdfs(tmp_path: Path) -> None:
    (tmp_path / "day.tsv").write_text("a\t0\t0\t3145728000\t2097152000\t524288000\n")
    s = scenario(
        f"    - {{format: swim, path: {tmp_path / 'day.tsv'}, scale_to_nodes: 60, "
        "task_mb_per_s: 50, task_overhead_s: 2, reduce_mb_per_task: 64, hdfs: true}\n",
        extra="hdfs: {preload_gb: 1}\n",
    )
    (a,) = trace_jobs(s)
    maps, reduces = a.stages
    # Sizes x 60 / 600 (SWIM's nodes / original nodes): 300 MB in, 200 MB shuffle, 50 MB out.
    assert len(maps.durations) == 3
    assert len(reduces.durations) == math.ceil(200 / 64)
    assert maps.durations[0] == pytest.approx(2 + (128 + 200 / 3) / 50)
    assert maps.input_gb == pytest.approx(300 / 1024)
    assert reduces.output_gb == pytest.approx(50 / 1024)
    # With hdfs: true the largest input must be preloaded.
    with pytest.raises(ScenarioError, match=r"workload\.traces\.0\.hdfs: .*preload_gb"):
        scenario(
            f"    - {{format: swim, path: {tmp_path / 'day.tsv'}, hdfs: true}}\n",
        )


def test_swim_excerpt_replays_on_the_file_clock() -> None:
    s = scenario(
        "    - {format: swim, path: 'emrsim:traces/swim/FB-2009_samples_24_times_1hr_0.tsv', "
        "limit: 50, scale_to_nodes: 4, start: 30, time_scale: 0.5}\n"
    )
    result = simulate(s)
    rows = swim_rows(SWIM_DAY)[:50]
    assert result.summary["jobs"]["submitted"] == result.summary["jobs"]["completed"] == 50
    assert [j.name for j in result.jobs] == [r[0] for r in rows]
    assert {j.source for j in result.jobs} == {"traces.0"}
    first = float(rows[0][1])
    expected = [30 + 0.5 * (float(r[1]) - first) for r in rows]
    assert submit_offsets(result) == pytest.approx(expected, abs=1e-6)
    assert result.summary["cluster_state"] == "TERMINATED"


def test_the_full_fb2009_day_replays() -> None:
    """Every job of the day is submitted and completes; the job count is the file's rows."""
    s = load_scenario(ROOT / "scenarios" / "swim-day.yaml")
    assert s.workload.traces[0].path == "emrsim:traces/swim/FB-2009_samples_24_times_1hr_0.tsv"
    start = time.perf_counter()
    result = simulate(s)
    elapsed = time.perf_counter() - start
    rows = len(swim_rows(SWIM_DAY))
    jobs = result.summary["jobs"]
    assert jobs["submitted"] == jobs["completed"] == len(result.jobs) == rows == 5894
    assert jobs["failed"] == jobs["killed"] == jobs["unfinished"] == 0
    assert [j.name for j in result.jobs] == [f"job{k}" for k in range(rows)]
    assert result.summary["cluster_state"] == "TERMINATED"
    assert elapsed < 15, f"the FB-2009 day took {elapsed:.1f} s to simulate"


# ----------------------------------------------------------------------------------- rumen
def recorded_map_durations() -> list[list[float]]:
    jobs = [obj for _, obj in json_objects(RUMEN.read_text())]
    out = []
    for job in jobs:
        durations = []
        for task in job["mapTasks"]:
            (attempt,) = [a for a in task["attempts"] if a["result"] == "SUCCESS"]
            durations.append((attempt["finishTime"] - attempt["startTime"]) / 1000)
        out.append(durations)
    return out


def test_rumen_reads_the_teragen_history() -> None:
    s = scenario(
        "    - {format: rumen, path: 'emrsim:traces/hadoop-sls/2jobs2min-rumen-jh.json', "
        "queue: default}\n"
    )
    first, second = trace_jobs(s)
    assert (first.name, second.name) == ("job_1369942127770_1205", "job_1369942127770_1206")
    assert first.user == second.user == "jenkins"
    assert first.offset_s == 0.0
    assert second.offset_s == pytest.approx((1371222159703 - 1371222054499) / 1000)
    recorded = recorded_map_durations()
    for job, durations in zip((first, second), recorded, strict=True):
        assert [st.name for st in job.stages] == ["map"]  # totalReduces = 0: map-only
        assert len(job.stages[0].durations) == 96
        assert list(job.stages[0].durations) == pytest.approx(durations)
    assert min(recorded[0]) == pytest.approx(11.143)
    assert max(recorded[0]) == pytest.approx(47.021)


def test_rumen_simulated_map_durations_are_the_recorded_ones(tmp_path: Path) -> None:
    s = scenario(
        "    - {format: rumen, path: 'emrsim:traces/hadoop-sls/2jobs2min-rumen-jh.json', "
        "queue: default}\n"
    )
    events = tmp_path / "events.jsonl"
    result = simulate(s, events)
    assert result.summary["jobs"]["completed"] == 2
    ran = container_durations(events)
    apps = sorted(ran)
    assert len(apps) == 2
    for app, recorded in zip(apps, recorded_map_durations(), strict=True):
        assert len(ran[app]["map"]) == 96
        assert sorted(np.round(ran[app]["map"], 6)) == sorted(np.round(recorded, 6))
    assert submit_offsets(result)[1] == pytest.approx(105.204, abs=1e-6)


def test_rumen_takes_the_history_queue_when_the_scenario_has_it() -> None:
    s = scenario(
        "    - {format: rumen, path: 'emrsim:traces/hadoop-sls/2jobs2min-rumen-jh.json'}\n",
        extra=SLS_QUEUES,
    )
    assert {j.queue for j in trace_jobs(s)} == {"sls_queue_1"}


def test_rumen_attempt_choice(tmp_path: Path) -> None:
    job = {
        "jobID": "job_x",
        "submitTime": 5000,
        "mapTasks": [
            {  # a failed attempt, then a successful one: the successful one counts
                "startTime": 0,
                "finishTime": 9000,
                "attempts": [
                    {"startTime": 0, "finishTime": 4000, "result": "FAILED"},
                    {"startTime": 4000, "finishTime": 9000, "result": "SUCCESS"},
                ],
            },
            {"startTime": 1000, "finishTime": 3500, "attempts": []},  # the task's own times
        ],
        "reduceTasks": [
            {"attempts": [{"startTime": 9000, "finishTime": 12000, "result": "KILLED"}]}
        ],
    }
    (tmp_path / "h.json").write_text(json.dumps([job]))
    s = scenario(f"    - {{format: rumen, path: {tmp_path / 'h.json'}}}\n")
    (built,) = trace_jobs(s)
    assert built.queue == "default"
    assert [st.name for st in built.stages] == ["map", "reduce"]
    assert built.stages[0].durations == (5.0, 2.5)
    assert built.stages[1].durations == (3.0,)


# ------------------------------------------------------------------------------------- sls
def test_sls_inputsls_mapping_and_replay(tmp_path: Path) -> None:
    s = scenario(
        "    - {format: sls, path: 'emrsim:traces/hadoop-sls/inputsls.json'}\n",
        core=3,
        extra=SLS_QUEUES,
    )
    job1, job2 = trace_jobs(s)
    assert (job1.name, job1.queue, job1.user) == ("job_1", "sls_queue_1", "default")
    assert (job2.name, job2.queue) == ("job_2", "sls_queue_2")
    assert (job1.offset_s, job2.offset_s) == (0.0, pytest.approx(105.204))
    assert job1.stages[0].durations == pytest.approx((17.043, 14.928, 17.843))
    assert job2.stages[0].durations == pytest.approx((22.163, 19.589))
    events = tmp_path / "events.jsonl"
    result = simulate(s, events)
    assert [j.state for j in result.jobs] == ["COMPLETED"] * 2
    ran = container_durations(events)
    assert sorted(ran[1]["map"]) == pytest.approx(sorted((17.043, 14.928, 17.843)))
    assert sorted(ran[2]["map"]) == pytest.approx(sorted((22.163, 19.589)))


def test_sls_dag_reads_like_inputsls() -> None:
    plain = scenario(
        "    - {format: sls, path: 'emrsim:traces/hadoop-sls/inputsls.json'}\n", extra=SLS_QUEUES
    )
    dag = scenario(
        "    - {format: sls, path: 'emrsim:traces/hadoop-sls/sls_dag.json'}\n", extra=SLS_QUEUES
    )
    assert trace_jobs(dag) == trace_jobs(plain)  # request delays are not replayed


def test_sls_optional_keys(tmp_path: Path) -> None:
    objects = [
        {"num.nodes": 3, "num.racks": 1},  # the topology: skipped
        {
            "job.start.ms": 2000,
            "job.queue.name": "sls_queue_3",
            "job.count": 2,
            "job.tasks": [
                {"count": 3, "duration.ms": 4000},
                {"container.type": "reduce", "container.start.ms": 0, "container.end.ms": 500},
            ],
        },
        {"am.type": "stream", "job.start.ms": 1000, "job.tasks": [{"duration.ms": 60000}]},
    ]
    (tmp_path / "t.json").write_text("\n".join(json.dumps(o, indent=1) for o in objects))
    # The stream job names no queue: "default", which these queues lack.
    (line,) = bad(f"    - {{format: sls, path: {tmp_path / 't.json'}}}\n", extra=SLS_QUEUES)
    assert "t.json: job 2 (line 21), job_2: unknown queue 'default'; give workload" in line
    objects[2]["job.queue.name"] = "sls_queue_2"
    (tmp_path / "t.json").write_text("\n".join(json.dumps(o, indent=1) for o in objects))
    s = scenario(f"    - {{format: sls, path: {tmp_path / 't.json'}}}\n", extra=SLS_QUEUES)
    jobs = trace_jobs(s)
    assert [(j.name, j.offset_s, j.queue) for j in jobs] == [
        ("job_2", 0.0, "sls_queue_2"),  # the first job is at start: the others follow
        ("job_1-1", 1.0, "sls_queue_3"),
        ("job_1-2", 1.0, "sls_queue_3"),
    ]
    stream, copy = jobs[0], jobs[1]
    assert stream.job_type == "container"
    assert [(st.name, st.durations) for st in copy.stages] == [
        ("map", (4.0, 4.0, 4.0)),
        ("reduce", (0.5,)),
    ]
    result = simulate(s)
    assert result.summary["jobs"]["completed"] == 3


# ------------------------------------------------------------------------------------- syn
def test_syn_draws_jobs_from_the_spec() -> None:
    s = scenario(
        "    - {format: syn, path: 'emrsim:traces/hadoop-sls/syn.json'}\n", extra=SLS_QUEUES
    )
    jobs = trace_jobs(s)
    assert len(jobs) == 10  # num_jobs
    assert [j.name for j in jobs] == [f"class_1_{k:06d}" for k in range(1, 11)]
    assert {(j.queue, j.user, j.job_type) for j in jobs} == {("sls_queue_1", "foobar", "mapreduce")}
    offsets = [j.offset_s for j in jobs]
    assert offsets == sorted(offsets) and offsets[0] == 0.0
    assert offsets[-1] <= 59 - 1  # the first bucket spans 1..60 s, shifted to the first job
    for job in jobs:
        maps, reduces = job.stages
        assert (maps.name, maps.memory_mb, maps.vcores) == ("map", 1024, 1)
        assert (reduces.name, reduces.memory_mb, reduces.vcores) == ("reduce", 2048, 2)
        assert reduces.depends_on == ("map",)
        assert 2 <= len(maps.durations) <= 10  # LogNormal(5, 1) tasks
    map_times = [d for j in jobs for d in j.stages[0].durations]
    reduce_times = [d for j in jobs for d in j.stages[1].durations]
    assert 7 < np.mean(map_times) < 13  # mtime LogNormal(10 s, 2 s)
    assert 15 < np.mean(reduce_times) < 25  # rtime LogNormal(20 s, 4 s)
    result = simulate(s)
    assert result.summary["jobs"]["submitted"] == result.summary["jobs"]["completed"] == 10


def test_syn_draws_follow_the_scenario_seed() -> None:
    def names_and_durations(seed: int, replication: int = 0) -> list[Any]:
        s = scenario(
            "    - {format: syn, path: 'emrsim:traces/hadoop-sls/syn.json'}\n",
            seed=seed,
            extra=SLS_QUEUES,
        )
        return [(j.offset_s, j.stages) for j in trace_jobs(s, seed_replication=replication)]

    assert names_and_durations(5) == names_and_durations(5)
    assert names_and_durations(5) != names_and_durations(6)
    assert names_and_durations(5) != names_and_durations(5, replication=1)


def test_syn_generic_and_stream_forms() -> None:
    s = scenario(
        "    - {format: syn, path: 'emrsim:traces/hadoop-sls/syn_generic.json'}\n"
        "    - {format: syn, path: 'emrsim:traces/hadoop-sls/syn_stream.json', start: 1h}\n",
        extra=SLS_QUEUES,
    )
    generic = trace_jobs(s, 0)
    assert len(generic) == 10
    # The tasks form gives task times in ms, as SLS runs them: 10 and 20 ms here.
    assert all(d < 0.1 for j in generic for st in j.stages for d in st.durations)
    assert {(st.name, st.memory_mb, st.vcores) for j in generic for st in j.stages} == {
        ("map", 1024, 1),
        ("reduce", 2048, 2),
    }
    stream = trace_jobs(s, 1)
    assert len(stream) == 5
    for job in stream:
        assert job.job_type == "container"
        (stage,) = job.stages
        assert (stage.name, stage.durations, stage.memory_mb, stage.vcores) == (
            "stream",
            (60.0, 60.0),
            4096,
            4,
        )
    result = simulate(s)
    assert result.summary["jobs"]["completed"] == 15


def test_syn_containers_must_fit_a_node(tmp_path: Path) -> None:
    spec = json.loads((DATA / "hadoop-sls" / "syn.json").read_text())
    spec["workloads"][0]["job_classes"][0]["reduce_max_memory_avg"] = 65536
    (tmp_path / "big.json").write_text(json.dumps(spec))
    (line,) = bad(f"    - {{format: syn, path: {tmp_path / 'big.json'}, queue: default}}\n")
    assert "workload.traces.0: " in line
    assert "big.json: workloads[0] (tiny-test) class class_1 reduce tasks: " in line
    assert "65536 MB" in line


# ---------------------------------------------------------------------------- arrivals_csv
GOOGLE_TRACE = f"""\
    - format: arrivals_csv
      path: {GOOGLE}
      unit: us
      limit: {{limit}}
      job:
        stages: [{{{{name: map, tasks: 2, duration: {{{{dist: exponential, mean: 30}}}}}}}}]
"""


def google_times() -> list[float]:
    rows = [line.split(",") for line in GOOGLE.read_text().splitlines()[1:]]
    return [int(r[1]) / 1e6 for r in rows if int(r[1]) != 0]


def test_google_arrivals_drop_the_rows_at_zero() -> None:
    times = google_times()
    assert len(times) == 1000  # 3,986 rows at 0 dropped
    parsed = parse(
        Trace.model_validate({"format": "arrivals_csv", "path": str(GOOGLE), "unit": "us"})
    )
    assert parsed.records == pytest.approx(times)
    assert parsed.extra["dropped"] == 3986


def test_google_arrivals_drive_a_stream() -> None:
    s = scenario(GOOGLE_TRACE.format(limit=40))
    result = simulate(s)
    times = google_times()[:40]
    assert result.summary["jobs"]["submitted"] == result.summary["jobs"]["completed"] == 40
    offsets = submit_offsets(result)
    assert offsets[0] == 0.0
    assert np.diff(offsets) == pytest.approx(np.diff(times), abs=1e-6)
    assert [j.name for j in result.jobs[:2]] == [
        "2011_arrivals_first1000-1",
        "2011_arrivals_first1000-2",
    ]
    assert {j.source for j in result.jobs} == {"traces.0"}


def test_arrivals_csv_column_by_index_and_units(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("0\n1500\n500\n4000\n")
    s = scenario(
        f"    - {{format: arrivals_csv, path: {tmp_path / 'a.csv'}, column: 0, unit: ms, "
        "job: {name: tick, am: none, type: container, stages: [{name: t, tasks: 1, duration: 1,"
        " container: {memory_mb: 1024}}]}}\n"
    )
    jobs = trace_jobs(s)
    assert [j.offset_s for j in jobs] == [0.0, 1.0, 3.5]  # sorted, relative to the first
    assert {j.name for j in jobs} == {"tick"}


# ------------------------------------------------------------------------------ bad inputs
def bad(traces: str, extra: str = "") -> list[str]:
    with pytest.raises(ScenarioError) as info:
        scenario(traces, extra=extra)
    return info.value.lines()


def test_missing_file_is_a_scenario_error(tmp_path: Path) -> None:
    (line,) = bad(f"    - {{format: swim, path: {tmp_path / 'nope.tsv'}}}\n")
    assert line.startswith("test.yaml:10: workload.traces.0: ")
    assert line.endswith("nope.tsv: no such file")
    (line,) = bad("    - {format: rumen, path: 'emrsim:traces/nope.json'}\n")
    assert "emrsim:traces/nope.json: no such file (looked for " in line


def test_malformed_rows_name_the_row(tmp_path: Path) -> None:
    (tmp_path / "s.tsv").write_text("j0\t1\t1\t10\t0\t0\n\nj1\t2\t1\t10\t-5\t0\nj2\t3\t1\n")
    lines = bad(f"    - {{format: swim, path: {tmp_path / 's.tsv'}}}\n")
    assert len(lines) == 2
    assert "s.tsv: row 3: column 5 (shuffle bytes) must be >= 0 (got -5)" in lines[0]
    assert "s.tsv: row 4: expected 6 tab-separated columns" in lines[1]
    (tmp_path / "a.csv").write_text("id,timestamp\n1,10\n2,ten\n")
    (line,) = bad(
        f"    - {{format: arrivals_csv, path: {tmp_path / 'a.csv'}, "
        "job: {stages: [{name: m, tasks: 1, duration: 1}]}}\n"
    )
    assert "a.csv: row 3: column 'timestamp' is not a number: 'ten'" in line
    (tmp_path / "j.json").write_text('{"job.tasks": [{"duration.ms": 5}]}\n{"job.tasks": [}\n')
    (line,) = bad(f"    - {{format: sls, path: {tmp_path / 'j.json'}}}\n")
    assert "j.json: line 2 column 16: invalid JSON: Expecting value" in line
    (tmp_path / "k.json").write_text(
        '{"job.tasks": [{"container.type": "shuffle", "duration.ms": 5}]}'
    )
    (line,) = bad(f"    - {{format: sls, path: {tmp_path / 'k.json'}}}\n")
    assert "k.json: job 1 (line 1): task 0: container.type must be map or reduce" in line


def test_options_of_another_format_are_rejected() -> None:
    (line,) = bad(
        "    - {format: sls, path: 'emrsim:traces/hadoop-sls/inputsls.json', unit: ms}\n",
        extra=SLS_QUEUES,
    )
    assert "workload.traces.0.unit: is an option of arrivals_csv traces, not of sls ones" in line


def test_relative_paths_resolve_against_the_scenario_file(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "day.tsv").write_text("a\t0\t0\t1000\t0\t10\n")
    text = (
        HEAD.format(seed=1, core=2)
        + "workload:\n  traces:\n    - {format: swim, path: data/day.tsv}\n"
    )
    (folder / "s.yaml").write_text(text)
    s = load_scenario(folder / "s.yaml")
    assert Path(s.workload.traces[0].path) == folder / "data" / "day.tsv"
    assert simulate(s).summary["jobs"]["completed"] == 1


def test_trace_error_is_an_exception_with_messages() -> None:
    err = TraceError(["row 1: x", "row 2: y"])
    assert err.messages == ["row 1: x", "row 2: y"]
    with pytest.raises(TraceError):
        parse(Trace(format="swim", path="/no/such/file.tsv"))


def test_traces_mix_with_streams_and_keep_the_cluster_up_until_done() -> None:
    text = (
        HEAD.format(seed=1, core=2)
        + "workload:\n"
        + "  streams:\n"
        + "    - {name: st, count: 3, interarrival: 60,"
        + " job: {stages: [{name: m, tasks: 1, duration: 10}]}}\n"
        + "  traces:\n"
        + "    - {format: sls, path: 'emrsim:traces/hadoop-sls/inputsls.json', queue: default,"
        + " start: 10m}\n"
    )
    result = simulate(scenario_from_text(text, "mix.yaml"))
    assert Counter(j.source for j in result.jobs) == {"traces.0": 2, "streams.0": 3}
    assert result.summary["jobs"]["completed"] == 5
    # keep_alive false: the cluster ends with the trace's last job, not with the stream's.
    assert result.summary["cluster_lifetime_s"] == pytest.approx(result.summary["makespan_s"])
    assert max(submit_offsets(result)) == pytest.approx(600 + 105.204)
