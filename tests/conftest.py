"""Shared test settings.

Hypothesis runs derandomized in CI (``CI=true``), so a CI run is reproducible, and without
per-example deadlines, because timings on shared machines are noisy (speed is measured by
``benchmarks/``, never by tests).
"""

import os

import matplotlib
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")  # no window ever pops up in tests

settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None, max_examples=60)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
