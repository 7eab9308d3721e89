"""The control API: one table of operations, served by the emulator and called by RemoteCloud."""

from __future__ import annotations

import inspect
import json
import urllib.error
import urllib.request

import pytest

from localcloud import LocalCloudError
from localcloud.control import OPERATIONS, RemoteFaults
from localcloud.faults import FAULT_METHODS, FAULT_NAMES, Faults
from localcloud.remote import RemoteCloud
from tests.localcloud.support import describe


def call(cloud, method: str, path: str, payload: dict | None = None) -> tuple[int, dict]:
    """A raw HTTP request to the control API, as other tools send it."""
    request = urllib.request.Request(
        f"{cloud.endpoint_url}/_localcloud/{path}",
        data=json.dumps(payload).encode() if payload is not None else None,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_table_holds_every_endpoint_once():
    routes = [(op.method, op.path) for op in OPERATIONS]
    assert routes == [
        ("GET", "health"),
        ("GET", "faults"),
        ("POST", "faults"),
        ("DELETE", "faults"),
        ("POST", "tick"),
        ("POST", "reset"),
    ]
    assert len({op.name for op in OPERATIONS}) == len(OPERATIONS)


def test_remote_faults_have_the_methods_and_signatures_of_faults():
    assert FAULT_NAMES == (
        "crash-loop",
        "capacity-shortage",
        "out-of-band-scale",
        "unhealthy-targets",
        "throttle",
    )
    for name in FAULT_NAMES:
        method = FAULT_METHODS[name]
        local, remote = getattr(Faults, method), getattr(RemoteFaults, method)
        assert inspect.signature(remote) == inspect.signature(local), name
        assert remote.__doc__ == local.__doc__


def test_endpoints_keep_their_paths_and_json_shapes(local_cloud, faults):
    status, health = call(local_cloud, "GET", "health")
    assert status == 200 and health == {"status": "ok", "ticks": health["ticks"]}
    assert call(local_cloud, "POST", "faults", {"fault": "capacity-shortage", "args": {
        "cluster": "web", "service": "api"}}) == (
        200,
        {"faults": [{"fault": "capacity-shortage", "cluster": "web", "service": "api"}]},
    )  # fmt: skip
    assert call(local_cloud, "GET", "faults") == (
        200,
        {"faults": [{"fault": "capacity-shortage", "cluster": "web", "service": "api"}]},
    )
    assert call(local_cloud, "DELETE", "faults") == (200, {"faults": []})
    status, ticked = call(local_cloud, "POST", "tick")
    assert status == 200 and ticked["ticks"] > health["ticks"]
    assert call(local_cloud, "POST", "reset") == (200, {"status": "ok"})
    assert call(local_cloud, "GET", "nope") == (
        404,
        {"error": "no control endpoint GET /_localcloud/nope"},
    )
    assert call(local_cloud, "POST", "faults", {"args": {}}) == (
        400,
        {"error": "control request field 'fault' is missing; name the fault"},
    )
    assert faults.active() == []


def test_remote_faults_act_at_once_like_local_ones(
    local_cloud, aws_client, manual_scheduler, make_service, faults
):
    svc = make_service(desired_count=2)
    manual_scheduler.tick()
    remote = RemoteCloud(local_cloud.endpoint_url)
    remote.faults.out_of_band_scale("web", "api", 1)
    service = describe(aws_client, svc)
    assert (service["desiredCount"], service["runningCount"]) == (1, 1)
    with pytest.raises(LocalCloudError) as error:
        remote.faults.out_of_band_scale("web", "nope", 1)
    assert str(error.value) == "service 'nope' not found in cluster 'web'"
    with pytest.raises(TypeError):
        remote.faults.crash_loop("web")  # the signature of Faults.crash_loop, checked here
    remote.faults.crash_loop("web", "api")
    primary, previous = describe(aws_client, svc)["deployments"]  # a broken one is PRIMARY
    assert (primary["rolloutState"], primary["failedTasks"]) == ("IN_PROGRESS", 1)
    assert (previous["status"], previous["runningCount"]) == ("ACTIVE", 1)
    assert faults.active() == [
        {
            "fault": "crash-loop",
            "cluster": "web",
            "service": "api",
            "reason": "Essential container in task exited",
        }
    ]
    remote.faults.throttle(1.0, services=["ecs"])
    with pytest.raises(Exception):  # noqa: B017  (botocore's ClientError after its retries)
        aws_client("ecs").list_clusters()
    assert remote.faults.throttled_calls()["ecs"] >= 1
    remote.faults.clear()
    assert remote.faults.active() == []
