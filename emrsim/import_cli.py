"""``emrsim import``: a scenario YAML from the AWS CLI's JSON of a real EMR cluster.

Exit status: 0 written (warnings, if any, on stderr), 2 bad input (``file: key.path: message``).
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click

from emrsim.emr_import import EmrImportError, ImportResult, import_cluster, read_json, scenario_yaml
from emrsim.exits import fail


@click.command(name="import")
@click.option(
    "--describe-cluster",
    "describe_file",
    required=True,
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Output of `aws emr describe-cluster --cluster-id j-...`.",
)
@click.option(
    "--instance-groups",
    "groups_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Output of `aws emr list-instance-groups` (default: the InstanceGroups the AWS CLI "
    "merges into describe-cluster).",
)
@click.option(
    "--instance-fleets",
    "fleets_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Output of `aws emr list-instance-fleets` (default: describe-cluster's InstanceFleets).",
)
@click.option(
    "--managed-scaling",
    "managed_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Output of `aws emr get-managed-scaling-policy`.",
)
@click.option(
    "--auto-termination-policy",
    "termination_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Output of `aws emr get-auto-termination-policy` (its IdleTimeout).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    metavar="OUT.yaml",
    help="Write the scenario here (default: stdout).",
)
def import_command(
    describe_file: str,
    groups_file: str | None,
    fleets_file: str | None,
    managed_file: str | None,
    termination_file: str | None,
    output: str | None,
) -> None:
    """Turn a real EMR cluster's JSON (AWS CLI output) into a scenario YAML.

    The scenario has the cluster's instance groups or fleets, counts, markets, EBS, scaling
    policies and limits, release and region, but no workload: add one before `emrsim run`.
    """
    if groups_file is not None and fleets_file is not None:
        _fail("--instance-groups and --instance-fleets: give one of them (a cluster has either)")
    try:
        result = import_cluster(
            read_json(describe_file),
            groups=read_json(groups_file) if groups_file else None,
            fleets=read_json(fleets_file) if fleets_file else None,
            managed=read_json(managed_file) if managed_file else None,
            auto_termination=read_json(termination_file) if termination_file else None,
        )
    except EmrImportError as exc:
        _fail(str(exc))
    _check(result)
    text = scenario_yaml(result)
    if output is None:
        click.echo(text, nl=False)
    else:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            _fail(f"{output}: cannot write: {exc.strerror or exc}")
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if output is not None:
        click.echo(f"wrote {output}", err=True)


def _check(result: ImportResult) -> None:
    """Validate the imported scenario; its problems become warnings (the user edits the file)."""
    from emrsim.scenario import ScenarioError, scenario_from_data

    try:
        scenario_from_data(result.data, "<imported scenario>")
    except ScenarioError as exc:
        for line in exc.lines():
            problem = line.split(": ", 1)[-1]
            if "unknown instance type" not in problem:  # already reported by the import
                result.warnings.append(f"the imported scenario does not validate yet: {problem}")


def _fail(message: str) -> NoReturn:
    fail([message])
