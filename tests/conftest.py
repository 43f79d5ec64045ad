"""Shared test configuration: Hypothesis settings profiles.

Choose one with the environment variable ``HYPOTHESIS_PROFILE`` (default ``default``):

- ``default``: 60 examples per property, so ``pytest -m "not slow"`` stays under a minute;
- ``ci``: enough examples to matter (300), no per-example deadline (a simulation run's time
  varies with the machine), no example database written into the working tree; .ci/run uses it;
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
settings.register_profile(
    "default",
    deadline=None,
    max_examples=60,
    database=None,
    print_blob=True,
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
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
