#!/usr/bin/env python3
"""Generate ``emrsim/data/instance_types.csv``, the EC2 instance catalogue as EMR configures it.

Run from anywhere (it is idempotent; re-running rewrites the same file)::

    python tools/build_catalogue.py [--data-dir /work/shared/data] \
        [--out emrsim/data/instance_types.csv]

Inputs (see ``/work/shared/data/prices/SOURCE.txt``):

* ``prices/spot-advisor-data_2025-06.json`` -- vCPU and RAM per type (``instance_types``).
* ``prices/ec2_ondemand_linux_prices_us-east-1.csv`` -- us-east-1 EC2 on-demand USD/h, used here
  only to derive the EMR fee of types that emr-facts.md section 8 does not list. The on-demand
  price itself is NOT written to the catalogue; ``emrsim.nodes.catalogue`` joins it at load time.
* The per-type figures of ``/work/shared/reference/emr-facts.md`` sections 4, 5 and 8, copied
  into the tables below (``FACTS_YARN``, ``FACTS_EMR_FEE``, ``EBS_DEFAULT_GB``).

Rule for YARN memory of types that emr-facts 5 does not list (fitted to the nine listed types;
every listed value is reproduced exactly before the 32 MB rounding):

* x86 (m5, r5, c5, i3), RAM in MiB = ram_gib * 1024:
  ``yarn = 0.75 * RAM`` if RAM <= 32 GiB, else ``yarn = RAM - 8 GiB``
  (m5/r5/c5/i3 .xlarge/.2xlarge give 0.75; m5.4xlarge and r5.2xlarge, 64 GiB, give 56 GiB).
  A flat fraction (0.875 at 64 GiB) fits the listed points equally well but would hold back
  32 GiB of a 256 GiB node, so the fixed 8 GiB reserve was chosen for large nodes.
  ``map = yarn / vcpu`` and ``reduce = am = 2 * yarn / vcpu`` (all nine listed types).
* Graviton (m6g, m7g, r6g, c6g): every value of the x86 rule for the same (vCPU, RAM), times
  61/64 -- the ratio of m6g.xlarge to m5.xlarge (11712/12288, 2928/3072, 5856/6144).
* Rounding to the 32 MB minimum allocation: the NodeManager capacity (yarn) is rounded DOWN
  (a node cannot offer more than it has); container requests (map, reduce, am) are rounded UP,
  which is how YARN's scheduler normalises a request, and capped at yarn. This also applies to
  the one listed value that is not a multiple of 32 (m6g.xlarge map 2928 -> 2944).

``yarn_vcores`` = vCPU (emr-facts 5 observation; per-type table UNCONFIRMED).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = Path("/work/shared/data")
DEFAULT_OUT = REPO / "emrsim" / "data" / "instance_types.csv"
SPOT_ADVISOR = "prices/spot-advisor-data_2025-06.json"
ONDEMAND_CSV = "prices/ec2_ondemand_linux_prices_us-east-1.csv"

FAMILIES = ("m5", "m6g", "m7g", "r5", "r6g", "c5", "c6g", "i3")
SIZES = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge")
GRAVITON = frozenset({"m6g", "m7g", "r6g", "c6g"})
MIN_ALLOC_MB = 32

COLUMNS = (
    "name",
    "vcpu",
    "memory_gib",
    "yarn_memory_mb",
    "yarn_vcores",
    "map_memory_mb",
    "reduce_memory_mb",
    "am_memory_mb",
    "instance_store_gb",
    "ebs_default_gb",
    "emr_usd_per_hr",
    "src_hardware",
    "src_yarn",
    "src_ebs",
    "src_emr_fee",
)

# emr-facts.md section 5 [RG:emr-hadoop-task-config]: yarn / map / reduce / MR AM, MB.
FACTS_YARN: dict[str, tuple[int, int, int, int]] = {
    "m5.xlarge": (12288, 3072, 6144, 6144),
    "m5.2xlarge": (24576, 3072, 6144, 6144),
    "m5.4xlarge": (57344, 3584, 7168, 7168),
    "r5.xlarge": (24576, 6144, 12288, 12288),
    "r5.2xlarge": (57344, 7168, 14336, 14336),
    "c5.xlarge": (6144, 1536, 3072, 3072),
    "c5.2xlarge": (12288, 1536, 3072, 3072),
    "m6g.xlarge": (11712, 2928, 5856, 5856),
    "i3.xlarge": (23424, 5856, 11712, 11712),
}

# emr-facts.md section 8: us-east-1 (vCPU, GiB, EC2 on-demand USD/h, EMR USD/h); the facts file
# marks these UNCONFIRMED. The EC2 and hardware figures are only cross-checked here.
FACTS_EMR_FEE: dict[str, tuple[int, float, str, str]] = {
    "m5.xlarge": (4, 16, "0.192", "0.048"),
    "m5.2xlarge": (8, 32, "0.384", "0.096"),
    "m5.4xlarge": (16, 64, "0.768", "0.192"),
    "r5.xlarge": (4, 32, "0.252", "0.063"),
    "r5.2xlarge": (8, 64, "0.504", "0.126"),
    "c5.xlarge": (4, 8, "0.170", "0.043"),
    "c5.2xlarge": (8, 16, "0.340", "0.085"),
    "m6g.xlarge": (4, 16, "0.154", "0.0385"),
    "m7g.xlarge": (4, 16, "0.1632", "0.0408"),
    "i3.xlarge": (4, 30.5, "0.312", "0.078"),
}

# emr-facts.md section 4 [MG:emr-plan-storage]: default EBS data volumes of EBS-only types,
# 5.22.0+ (the 10 GB root volume is excluded; the billing code adds it).
EBS_DEFAULT_GB: dict[str, tuple[int, int]] = {
    "large": (1, 32),
    "xlarge": (2, 32),
    "2xlarge": (4, 32),
    "4xlarge": (4, 64),
    "8xlarge": (4, 128),
}

# NVMe instance store of i3, from AWS's EC2 instance-type page (not stored in this project).
I3_STORE_GB: dict[str, int] = {
    "large": 475,
    "xlarge": 950,
    "2xlarge": 1900,
    "4xlarge": 3800,
    "8xlarge": 7600,
}

SRC_HARDWARE = "spot-advisor-data_2025-06.json instance_types (cores, ram_gb)"
SRC_VCORES = "vcores: = vcpu (emr-facts 5 observation; per-type table UNCONFIRMED)"
SRC_FACTS_YARN = "emr-facts 5 (RG:emr-hadoop-task-config)"
SRC_RULE_X86 = (
    "derived: yarn = 0.75*RAM if RAM <= 32 GiB else RAM - 8 GiB; map = yarn/vcpu; "
    "reduce = am = 2*yarn/vcpu; fitted to emr-facts 5 (UNCONFIRMED)"
)
SRC_RULE_GRAVITON = (
    "derived: x86 rule (yarn = 0.75*RAM if RAM <= 32 GiB else RAM - 8 GiB; map = yarn/vcpu; "
    "reduce = am = 2*yarn/vcpu) scaled by 61/64 like m6g.xlarge vs m5.xlarge (UNCONFIRMED)"
)
SRC_ROUNDING = "yarn rounded down, requests rounded up to 32 MB"
SRC_EMR_FACTS = "emr-facts 8 (itself UNCONFIRMED there)"
SRC_EMR_DERIVED = "derived: 25% of EC2 on-demand (emr-facts 8 pattern, UNCONFIRMED)"
SRC_EBS = "emr-facts 4 (MG:emr-plan-storage): EMR default EBS for EBS-only {size}: {n}x{gb} GiB"
SRC_I3 = (
    "instance store: {gb} GB NVMe from AWS's EC2 instance-type page (UNCONFIRMED here); "
    "ebs: 0, EMR adds no default EBS data volume to instance-store types (emr-facts 4)"
)


def _floor32(mb: float) -> int:
    return math.floor(mb / MIN_ALLOC_MB + 1e-9) * MIN_ALLOC_MB


def _ceil32(mb: float) -> int:
    return math.ceil(mb / MIN_ALLOC_MB - 1e-9) * MIN_ALLOC_MB


def _x86_rule(vcpu: int, ram_gib: float) -> tuple[float, float, float]:
    """Unrounded (yarn, map, reduce/am) MB of the x86 rule."""
    ram_mb = ram_gib * 1024
    yarn = 0.75 * ram_mb if ram_gib <= 32 else ram_mb - 8 * 1024
    return yarn, yarn / vcpu, 2 * yarn / vcpu


def yarn_defaults(name: str, vcpu: int, ram_gib: float) -> tuple[tuple[int, int, int, int], str]:
    """EMR's (yarn, map, reduce, am) MB for one type, and the provenance text."""
    family = name.split(".")[0]
    notes: list[str] = []
    if name in FACTS_YARN:
        raw: tuple[float, float, float, float] = FACTS_YARN[name]
        src = SRC_FACTS_YARN
    else:
        yarn, map_mb, red = _x86_rule(vcpu, ram_gib)
        raw = (yarn, map_mb, red, red)
        src = SRC_RULE_X86
        if family in GRAVITON:
            k = 61 / 64
            raw = (raw[0] * k, raw[1] * k, raw[2] * k, raw[3] * k)
            src = SRC_RULE_GRAVITON
    yarn_mb = _floor32(raw[0])
    requests = [min(_ceil32(v), yarn_mb) for v in raw[1:]]
    values = (yarn_mb, requests[0], requests[1], requests[2])
    labels = ("yarn", "map", "reduce", "am")
    for label, before, after in zip(labels, raw, values, strict=True):
        if abs(before - after) > 1e-6:
            notes.append(f"{label} {before:g} -> {after}")
    if notes and name in FACTS_YARN:
        src += "; not a multiple of 32 MB, " + SRC_ROUNDING + ": " + ", ".join(notes)
    elif notes:
        src += "; " + SRC_ROUNDING
    return values, f"memory: {src}; {SRC_VCORES}"


def emr_fee(name: str, on_demand: str) -> tuple[str, str]:
    """EMR fee USD/h (as text) and its provenance."""
    if name in FACTS_EMR_FEE:
        return FACTS_EMR_FEE[name][3], SRC_EMR_FACTS
    fee = (Decimal(on_demand) * Decimal("0.25")).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    return format(fee.normalize(), "f"), SRC_EMR_DERIVED


def build_rows(data_dir: Path) -> list[dict[str, str]]:
    """One catalogue row per (family, size) present in the Spot Advisor snapshot."""
    advisor = json.loads((data_dir / SPOT_ADVISOR).read_text(encoding="utf-8"))
    hardware = advisor["instance_types"]
    with (data_dir / ONDEMAND_CSV).open(newline="", encoding="utf-8") as fh:
        prices = {r["instance_type"]: r["ondemand_usd_per_hour"] for r in csv.DictReader(fh)}

    rows: list[dict[str, str]] = []
    for family in FAMILIES:
        for size in SIZES:
            name = f"{family}.{size}"
            if name not in hardware:
                print(f"skip {name}: not in the Spot Advisor snapshot", file=sys.stderr)
                continue
            if name not in prices:
                raise SystemExit(f"{name}: no us-east-1 on-demand price in {ONDEMAND_CSV}")
            vcpu = int(hardware[name]["cores"])
            ram = float(hardware[name]["ram_gb"])
            _cross_check(name, vcpu, ram, prices[name])
            (yarn, map_mb, red, am), src_yarn = yarn_defaults(name, vcpu, ram)
            if family == "i3":
                store, ebs = I3_STORE_GB[size], 0
                src_ebs = SRC_I3.format(gb=store)
            else:
                n, gb = EBS_DEFAULT_GB[size]
                store, ebs = 0, n * gb
                src_ebs = "instance store: 0, EBS-only type; ebs: " + SRC_EBS.format(
                    size=size, n=n, gb=gb
                )
            fee, src_fee = emr_fee(name, prices[name])
            src_hw = SRC_HARDWARE
            if not hardware[name].get("emr", False):
                src_hw += "; note: the snapshot's emr flag is false for this type"
            rows.append(
                {
                    "name": name,
                    "vcpu": str(vcpu),
                    "memory_gib": f"{ram:g}",
                    "yarn_memory_mb": str(yarn),
                    "yarn_vcores": str(vcpu),
                    "map_memory_mb": str(map_mb),
                    "reduce_memory_mb": str(red),
                    "am_memory_mb": str(am),
                    "instance_store_gb": str(store),
                    "ebs_default_gb": str(ebs),
                    "emr_usd_per_hr": fee,
                    "src_hardware": src_hw,
                    "src_yarn": src_yarn,
                    "src_ebs": src_ebs,
                    "src_emr_fee": src_fee,
                }
            )
    return rows


def _cross_check(name: str, vcpu: int, ram: float, on_demand: str) -> None:
    """Warn when emr-facts 8's hardware or EC2 price disagrees with the shipped data."""
    if name not in FACTS_EMR_FEE:
        return
    f_vcpu, f_ram, f_ec2, _ = FACTS_EMR_FEE[name]
    if (f_vcpu, float(f_ram)) != (vcpu, ram):
        msg = f"warn {name}: emr-facts 8 says {f_vcpu}/{f_ram}, advisor {vcpu}/{ram}"
        print(msg, file=sys.stderr)
    if Decimal(f_ec2) != Decimal(on_demand):
        print(f"warn {name}: emr-facts 8 EC2 {f_ec2}, karpenter {on_demand}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    rows = build_rows(args.data_dir)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} types to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
