"""Import a real EMR cluster: AWS CLI JSON -> emrsim scenario data (pure conversion).

Inputs are the JSON documents the AWS CLI prints (the EMR API's response shapes):

* ``aws emr describe-cluster`` -> ``{"Cluster": {...}}`` (the CLI also merges the cluster's
  ``InstanceGroups`` or ``InstanceFleets`` into it);
* ``aws emr list-instance-groups`` -> ``{"InstanceGroups": [...]}`` or
  ``aws emr list-instance-fleets`` -> ``{"InstanceFleets": [...]}``;
* ``aws emr get-managed-scaling-policy`` -> ``{"ManagedScalingPolicy": {"ComputeLimits": ...}}``;
* ``aws emr get-auto-termination-policy`` -> ``{"AutoTerminationPolicy": {"IdleTimeout": s}}``.

The result is plain scenario data (``cluster``, ``scaling``, ``release_label``, ``region``...)
with no workload, and the warnings of everything that could not be carried over. Nothing here
prints or exits: bad input raises :class:`EmrImportError` (``file: key.path: message``).

The package's modules, one job each: ``json_node`` (reading the JSON), ``result`` (what an
import produces), ``cluster`` (the entry point and cluster-level fields), ``groups`` (instance
groups and their custom scaling rules), ``fleets`` (instance fleets), ``managed`` (the managed
scaling policy), ``common`` (what those share) and ``render`` (the YAML text).
"""

from __future__ import annotations

from emrsim.emr_import.cluster import import_cluster
from emrsim.emr_import.json_node import EmrImportError, read_json
from emrsim.emr_import.render import scenario_yaml
from emrsim.emr_import.result import ImportResult

__all__ = [
    "EmrImportError",
    "ImportResult",
    "import_cluster",
    "read_json",
    "scenario_yaml",
]
