"""The imported scenario as YAML text, under a comment header of its sources and remarks."""

from __future__ import annotations

import textwrap

import yaml

from emrsim.emr_import.result import ImportResult


class _Dumper(yaml.SafeDumper):
    """Block YAML with list items indented under their key."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def scenario_yaml(result: ImportResult) -> str:
    """The scenario as YAML text, with a comment header: where it came from, what to add, and
    every warning and note of the import."""
    header = [
        f"# Imported by `emrsim import` from EMR cluster {result.cluster_id}; files:",
        *(f"#   {source}" for source in result.sources),
        "# The import has no workload: add steps, streams or traces under `workload` before",
        "# `emrsim run` (without them the cluster starts, idles and terminates). For example:",
        "#   workload:",
        "#     steps:",
        "#       - name: etl",
        "#         job: {stages: [{name: map, tasks: 100, duration: 60}]}",
    ]
    if result.warnings:
        header.append("#")
        header.append("# Warnings (not carried over, or needing an edit):")
        header += _bullets(result.warnings)
    if result.dropped_rules:
        header.append("#")
        header.append("# Scaling rules left out, as EMR described them:")
        header += [f"#   {r}" for r in result.dropped_rules]
    if result.unknown_types:
        header.append("#")
        header.append("# Instance types to define (emrsim has no data for them), e.g.:")
        header.append("#   instance_types:")
        header += [
            f"#     {t}: {{vcpu: ?, memory_gb: ?, yarn_memory_mb: ?, "
            "on_demand_usd_per_hr: ?, emr_usd_per_hr: ?}"
            for t in result.unknown_types
        ]
    if result.notes:
        header.append("#")
        header.append("# Notes:")
        header += _bullets(result.notes)
    body = yaml.dump(
        result.data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )
    return "\n".join(header) + "\n\n" + body


def _bullets(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        out += textwrap.wrap(
            line,
            width=99,
            initial_indent="#   - ",
            subsequent_indent="#     ",
            break_on_hyphens=False,
            break_long_words=False,
        )
    return out
