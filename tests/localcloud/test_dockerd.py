"""How the local cloud tells whether a Docker Engine answers."""

from __future__ import annotations

import pytest

from localcloud.dockerd import daemon_status


def test_an_unreachable_daemon_is_unavailable_with_the_reason(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    status = daemon_status()
    assert not status.available
    assert status.reason.startswith("no Docker daemon answers (")
    assert status.version is None


@pytest.mark.docker
def test_a_running_daemon_is_available_with_its_version():
    status = daemon_status()
    assert status.available and status.version
    assert status.reason == f"Docker Engine {status.version} answers"
