"""Tests of the shipped EC2 instance catalogue, price table and Spot Advisor snapshot."""

from __future__ import annotations

import csv
import dataclasses
import io
from importlib.resources import files

import pytest

from emrsim.nodes.catalogue import (
    InstanceType,
    load_catalogue,
    load_spot_advisor,
    on_demand_price_table,
)

MEMORY_FIELDS = ("yarn_memory_mb", "map_memory_mb", "reduce_memory_mb", "am_memory_mb")


def _csv_names() -> list[str]:
    text = (files("emrsim") / "data" / "instance_types.csv").read_text(encoding="utf-8")
    return [row["name"] for row in csv.DictReader(io.StringIO(text))]


@pytest.mark.parametrize(
    ("name", "yarn", "map_mb", "reduce_mb", "am_mb"),
    [
        ("m5.xlarge", 12288, 3072, 6144, 6144),
        ("m5.2xlarge", 24576, 3072, 6144, 6144),
        ("m5.4xlarge", 57344, 3584, 7168, 7168),
        ("r5.xlarge", 24576, 6144, 12288, 12288),
        ("r5.2xlarge", 57344, 7168, 14336, 14336),
        ("c5.xlarge", 6144, 1536, 3072, 3072),
        ("c5.2xlarge", 12288, 1536, 3072, 3072),
        ("i3.xlarge", 23424, 5856, 11712, 11712),
    ],
)
def test_facts_table_yarn_defaults(
    name: str, yarn: int, map_mb: int, reduce_mb: int, am_mb: int
) -> None:
    t = load_catalogue()[name]
    assert (t.yarn_memory_mb, t.map_memory_mb, t.reduce_memory_mb, t.am_memory_mb) == (
        yarn,
        map_mb,
        reduce_mb,
        am_mb,
    )
    assert t.provenance["yarn_memory_mb"].startswith("memory: emr-facts 5")


def test_m6g_xlarge_facts_with_map_normalised_to_32() -> None:
    t = load_catalogue()["m6g.xlarge"]
    assert t.yarn_memory_mb == 11712
    assert (t.reduce_memory_mb, t.am_memory_mb) == (5856, 5856)
    # emr-facts 5 lists 2928, which is not a multiple of 32; YARN rounds the request up.
    assert t.map_memory_mb == 2944
    assert "2928 -> 2944" in t.provenance["map_memory_mb"]


def test_m5_xlarge_prices_and_hardware() -> None:
    t = load_catalogue()["m5.xlarge"]
    assert (t.vcpu, t.memory_gib, t.yarn_vcores) == (4, 16.0, 4)
    assert t.on_demand_usd_per_hr == pytest.approx(0.192)
    assert t.emr_usd_per_hr == pytest.approx(0.048)
    assert t.ebs_default_gb == 64
    assert t.instance_store_gb == 0


def test_catalogue_covers_the_csv_and_expected_families() -> None:
    cat = load_catalogue()
    names = _csv_names()
    assert len(names) == len(set(names)) == len(cat)
    assert set(names) == set(cat)
    for family in ("m5", "m6g", "m7g", "r5", "r6g", "c5", "c6g", "i3"):
        for size in ("large", "xlarge", "2xlarge", "4xlarge"):
            assert f"{family}.{size}" in cat


def test_every_type_has_a_us_east_1_price() -> None:
    table = on_demand_price_table()
    for name, t in load_catalogue("us-east-1").items():
        assert name in table
        assert t.on_demand_usd_per_hr == table[name] > 0
        assert t.emr_usd_per_hr is not None and 0 < t.emr_usd_per_hr < t.on_demand_usd_per_hr


def test_memory_multiples_of_32_and_requests_fit() -> None:
    for name, t in load_catalogue().items():
        for f in MEMORY_FIELDS:
            value = getattr(t, f)
            assert value > 0 and value % 32 == 0, (name, f, value)
        for f in MEMORY_FIELDS[1:]:
            assert getattr(t, f) <= t.yarn_memory_mb, (name, f)
        assert t.yarn_memory_mb < t.memory_gib * 1024
        assert t.yarn_vcores == t.vcpu


def test_storage() -> None:
    cat = load_catalogue()
    assert cat["i3.xlarge"].instance_store_gb == 950
    assert cat["i3.xlarge"].ebs_default_gb == 0
    assert cat["m5.large"].ebs_default_gb == 32
    assert cat["r5.4xlarge"].ebs_default_gb == 256
    for t in cat.values():
        assert (t.instance_store_gb > 0) != (t.ebs_default_gb > 0), t.name


def test_every_row_has_provenance() -> None:
    for t in load_catalogue().values():
        for f in dataclasses.fields(InstanceType):
            if f.name == "provenance":
                continue
            assert t.provenance.get(f.name, "").strip(), (t.name, f.name)
        memory_src = t.provenance["yarn_memory_mb"].split("; vcores:")[0]
        assert memory_src.startswith(("memory: emr-facts 5", "memory: derived:")), t.name
        assert ("derived" in memory_src) == ("UNCONFIRMED" in memory_src), t.name


def test_spot_advisor_m5_xlarge() -> None:
    advisor = load_spot_advisor()
    fraction = advisor.savings_fraction("us-east-1", "m5.xlarge")
    bucket = advisor.interruption_bucket("us-east-1", "m5.xlarge")
    assert fraction is not None and 0 < fraction < 1
    assert bucket is not None and 0 <= bucket <= 4
    assert advisor.bucket_labels == ("<5%", "5-10%", "10-15%", "15-20%", ">20%")
    assert advisor.hardware("m5.xlarge") == (4, 16.0)
    assert "us-east-1" in advisor.regions() and "eu-west-1" in advisor.regions()
    assert advisor.savings_fraction("us-east-1", "no.such") is None
    assert advisor.interruption_bucket("xx-nowhere-1", "m5.xlarge") is None
    assert advisor.hardware("no.such") is None
    assert load_spot_advisor() is advisor


def test_hardware_matches_spot_advisor() -> None:
    advisor = load_spot_advisor()
    for name, t in load_catalogue().items():
        assert advisor.hardware(name) == (t.vcpu, t.memory_gib)


def test_other_region_has_no_prices() -> None:
    cat = load_catalogue("eu-west-1")
    assert set(cat) == set(load_catalogue())
    for t in cat.values():
        assert t.on_demand_usd_per_hr is None
        assert t.emr_usd_per_hr is None
        assert "eu-west-1" in t.provenance["on_demand_usd_per_hr"]
    assert cat["m5.xlarge"].yarn_memory_mb == 12288


def test_returned_dicts_do_not_share_state() -> None:
    first = load_catalogue()
    first.pop("m5.xlarge")
    assert "m5.xlarge" in load_catalogue()
    prices = on_demand_price_table()
    prices["m5.xlarge"] = 0.0
    assert on_demand_price_table()["m5.xlarge"] == pytest.approx(0.192)


def test_instance_type_is_frozen_and_hashable() -> None:
    t = load_catalogue()["m5.xlarge"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.vcpu = 8  # type: ignore[misc]
    assert hash(t) == hash(load_catalogue()["m5.xlarge"])
