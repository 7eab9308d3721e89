"""Settings of every test process of the suite (the xdist workers included)."""

from __future__ import annotations

import gc

import pytest

# A mock run allocates some hundred thousand short-lived objects (outputs, futures, tasks) and the
# SDKs imported for it leave some hundred thousand long-lived ones (pulumi_aws's types, moto's
# models), which every full collection walks: with the default thresholds collecting took a
# quarter of the component tests' CPU time. Collect ten times less often (a few dozen MB more at
# the peak).
gc.set_threshold(10_000, 10, 10)


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection imported (the project, moto, Pulumi, the AWS SDK) stays for the whole
    session: move it out of the collector's sight, so no collection walks it again."""
    gc.freeze()
