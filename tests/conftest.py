"""Settings of every test process of the suite (the xdist workers included)."""

from __future__ import annotations

import gc
import os
import shlex
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests import preloaded
from tests.preloaded import PreloadedPython

_SHARED_SERVER: pytest.StashKey[PreloadedPython] = pytest.StashKey()

# A mock run allocates some hundred thousand short-lived objects (outputs, futures, tasks) and the
# SDKs imported for it leave some hundred thousand long-lived ones (pulumi_aws's types, moto's
# models), which every full collection walks: with the default thresholds collecting took a
# quarter of the component tests' CPU time. Collect ten times less often (a few dozen MB more at
# the peak).
gc.set_threshold(10_000, 10, 10)


#: Markers of tests that spend most of their time waiting, for timers or for the Docker Engine.
WAITING_MARKERS = ("waits", "docker")


@pytest.hookimpl(trylast=True)  # after ``-m`` and ``-k`` deselected theirs
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules with waiting tests (``WAITING_MARKERS``) first, then the others, each group
    by number of tests, most first (pytest-xdist's own order, which ``pytest_configure`` turns
    off for this one). The workers get the modules (``--dist loadfile``) in this order: a
    module that mostly waits starts early and waits while the others use the CPUs, instead of
    holding the end of the run alone."""
    tests_in_file = Counter(item.path for item in items)
    waiting_files = {
        item.path for item in items if any(map(item.get_closest_marker, WAITING_MARKERS))
    }
    items.sort(key=lambda item: (item.path not in waiting_files, -tests_in_file[item.path]))


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection imported (the project, moto, Pulumi, the AWS SDK) stays for the whole
    session: move it out of the collector's sight, so no collection walks it again."""
    gc.freeze()


def pytest_configure(config: pytest.Config) -> None:
    """The controller of an xdist session makes one preloaded Python for all its workers, and
    starts each local worker (``popen``) forked from it: the workers begin with the project and
    its SDKs imported, instead of importing them once each."""
    is_worker = hasattr(config, "workerinput")
    if is_worker or not getattr(config.option, "numprocesses", None):
        return
    config.option.loadscopereorder = False  # the collection's order is the schedule's
    server = config.stash[_SHARED_SERVER] = PreloadedPython.shared()
    os.environ[preloaded.SHARED] = str(server.directory)  # the workers' environment
    proxy = shlex.join([sys.executable, str(Path(preloaded.__file__)), preloaded.PROXY_FLAG])
    tx = config.option.tx
    config.option.tx = [f"popen//python={proxy}" if spec == "popen" else spec for spec in tx]


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the session's shared preloaded Python, if this process made one."""
    server = config.stash.get(_SHARED_SERVER, None)
    if server is not None:
        server.stop()
        os.environ.pop(preloaded.SHARED, None)
