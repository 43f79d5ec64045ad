"""Shared test configuration: Hypothesis settings profiles.

Choose one with the environment variable ``HYPOTHESIS_PROFILE`` (default ``ci``):

- ``ci``: enough examples to matter, no per-example deadline (a simulation run's time varies with
  the machine), no example database written into the working tree;
- ``dev``: few examples, for a quick edit-test loop;
- ``thorough``: many examples, for a bug hunt before a release.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

settings.register_profile(
    "ci",
    deadline=None,
    max_examples=300,
    database=None,
    print_blob=True,
    # The explain phase re-runs a failing simulation many times over: minutes, not seconds.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=25)
settings.register_profile(
    "thorough",
    deadline=None,
    max_examples=2000,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
