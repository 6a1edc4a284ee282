"""Shared test settings: hypothesis profiles chosen by HYPOTHESIS_PROFILE (default: ci); the
one Spark session of the Spark tests."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "dev", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One local Spark session for every Spark test of this process (they share an xdist
    group, so one worker runs them all); audits with engine="spark" reuse it (getOrCreate)."""
    from auditor.engines import spark as spark_engine

    start = time.perf_counter()
    session = spark_engine.session(local_dir=tmp_path_factory.mktemp("spark-local"))
    print(f"\nSpark session started in {time.perf_counter() - start:.1f} s")
    yield session
    session.stop()
