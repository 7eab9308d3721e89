"""Reliability: endpoint down, credentials, throttling, deletion mid-sweep, MISSING failures."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from localcloud.testing import free_port
from reconciler import AwsAccessError, AwsTarget, ClientFactory, from_flags, sweep
from reconciler.model import Status
from tests.reconciler.conftest import REGION
from tests.reconciler.faults import inject, json_error


def flags(web: str, desired: int = 1) -> list[str]:
    return ["--cluster", web, "--service", "app", "--desired", str(desired), "--region", REGION]


def test_endpoint_down_exits_3_with_one_line(run_cli, fast_retries):
    port = free_port()
    code, out, err = run_cli(
        "check", *flags("web"), "--endpoint-url", f"http://127.0.0.1:{port}", "--max-attempts", "2"
    )
    assert code == 3
    assert out == ""
    assert err == (
        f"reconciler: error: cannot reach AWS at http://127.0.0.1:{port} (DescribeServices) "
        f'after 2 attempts: Could not connect to the endpoint URL: "http://127.0.0.1:{port}/"\n'
    )


def test_missing_credentials_exit_3(run_cli, sim, monkeypatch, tmp_path):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    code, _, err = run_cli("check", *flags(sim.cluster), "--endpoint-url", sim.endpoint)
    assert code == 3
    assert err == (
        f"reconciler: error: no AWS credentials for DescribeServices at {sim.endpoint}: "
        "Unable to locate credentials; set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
        "(or use --localstack)\n"
    )


class _RefuseCredentials(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = json.dumps(
            {
                "__type": "UnrecognizedClientException",
                "message": "The security token included in the request is invalid.",
            }
        ).encode()
        self.send_response(400)
        self.send_header("content-type", "application/x-amz-json-1.1")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def refusing_endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RefuseCredentials)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_refused_credentials_exit_3(run_cli, refusing_endpoint):
    code, _, err = run_cli("check", *flags("web"), "--endpoint-url", refusing_endpoint)
    assert code == 3
    assert err == (
        "reconciler: error: AWS refused the credentials for DescribeServices at "
        f"{refusing_endpoint}: UnrecognizedClientException: "
        "The security token included in the request is invalid.\n"
    )


def factory(sim, **kw) -> ClientFactory:
    return ClientFactory(AwsTarget(endpoint_url=sim.endpoint, **kw))


def test_throttling_storm_is_survived_with_a_correct_verdict(sim, fast_retries):
    web = sim.cluster
    tg = sim.target_group()
    sim.service("app", desired=2, target_group=tg)
    sim.local.faults.capacity_shortage(web, "app")
    sim.scale("app", 3)  # 2 running, 1 pending: a verdict that needs every kind of call
    declared = from_flags(web, "app", 3, region=REGION, target_group_arn=tg)
    calm = sweep(declared, factory(sim))
    sim.local.faults.throttle(0.5, services=("ecs", "elbv2"))  # every other call
    stormy = sweep(declared, factory(sim))
    assert stormy.verdicts[0].status is Status.CONVERGING
    assert stormy.verdicts[0].reasons == calm.verdicts[0].reasons
    assert stormy.verdicts[0].reasons[0] == "2/3 running; 1 pending"
    assert stormy.api_calls == calm.api_calls  # operations, not attempts
    assert stormy.throttled == sum(sim.local.faults.throttled_calls().values()) >= 2


def test_throttling_past_every_retry_exits_3(sim, run_cli, fast_retries):
    sim.local.faults.throttle(1.0, services=("ecs",))
    code, _, err = run_cli(
        "check", *flags(sim.cluster), "--endpoint-url", sim.endpoint, "--max-attempts", "2"
    )
    assert code == 3
    assert err == (
        f"reconciler: error: AWS kept throttling DescribeServices at {sim.endpoint} "
        "after 2 attempts (ThrottlingException)\n"
    )
    assert sim.local.faults.throttled_calls() == {"ecs": 2}  # exactly --max-attempts attempts


def test_service_and_target_group_deleted_mid_sweep(sim):
    web = sim.cluster
    tg = sim.target_group()
    sim.service("app", desired=2, target_group=tg)
    clients = factory(sim)
    admin_ecs, admin_elbv2 = sim.client("ecs"), sim.client("elbv2")

    def delete_everything(**_):
        clients.client("ecs", REGION).meta.events.unregister(
            "after-call.ecs.DescribeServices", delete_everything
        )
        admin_ecs.delete_service(cluster=web, service="app", force=True)
        admin_elbv2.delete_target_group(TargetGroupArn=tg)

    clients.client("ecs", REGION).meta.events.register(
        "after-call.ecs.DescribeServices", delete_everything
    )
    declared = from_flags(web, "app", 2, region=REGION, target_group_arn=tg)
    (verdict,) = sweep(declared, clients).verdicts
    assert verdict.status is Status.DEGRADED
    assert f"target group {tg.rsplit(':', 1)[-1]} not found" in verdict.reasons

    (verdict,) = sweep(declared, clients).verdicts  # the next sweep sees the deletion itself
    assert verdict.status is Status.MISSING
    assert verdict.reasons == (f"service app is INACTIVE (deleted) in cluster {web}",)


def test_list_tasks_of_a_deleted_service_makes_it_missing(sim):
    web = sim.cluster
    sim.service("app", desired=2, held=True)
    sim.service("api", desired=1, held=True)
    clients = factory(sim)
    inject(
        clients.client("ecs", REGION),
        "ListTasks",
        lambda n: n == 1,
        lambda: json_error("ServiceNotFoundException", "Service not found."),
    )
    declared = [
        *from_flags(web, "app", 2, region=REGION),
        *from_flags(web, "api", 1, region=REGION),
    ]
    verdicts = {v.declared.service: v for v in sweep(declared, clients, max_workers=1).verdicts}
    assert verdicts["app"].status is Status.MISSING
    assert verdicts["app"].reasons == (
        f"service app was deleted from cluster {web} during the sweep",
    )
    assert verdicts["api"].status is Status.CONVERGING


def test_missing_failures_do_not_hide_the_found_services(sim):
    web = sim.cluster
    sim.service("app", desired=1)
    declared = [
        *from_flags(web, "app", 1, region=REGION),
        *from_flags(web, "gone", 1, region=REGION),
    ]
    result = sweep(declared, factory(sim))
    assert [(v.declared.service, v.status) for v in result.verdicts] == [
        ("app", Status.CONVERGED),
        ("gone", Status.MISSING),
    ]
    assert result.api_calls == {"DescribeServices": 1}


def test_library_raises_typed_errors(sim):
    clients = ClientFactory(
        AwsTarget(endpoint_url=f"http://127.0.0.1:{free_port()}", max_attempts=1)
    )
    with pytest.raises(AwsAccessError) as err:
        sweep(from_flags("web", "app", 1, region=REGION), clients)
    assert err.value.kind == "unreachable"
    assert err.value.exit_code == 3


def test_client_factories_share_parsed_models_but_not_credentials():
    """Each factory has its own session (credentials, region), but botocore's parsed models are
    parsed once per process: the second factory's ECS model is the first one's."""
    first = ClientFactory(
        AwsTarget(credentials={"aws_access_key_id": "one", "aws_secret_access_key": "s1"})
    )
    second = ClientFactory(
        AwsTarget(credentials={"aws_access_key_id": "two", "aws_secret_access_key": "s2"})
    )
    loaders = [f._boto_session()._session.get_component("data_loader") for f in (first, second)]
    assert loaders[0] is not loaders[1]
    models = [loader.load_service_model("ecs", "service-2") for loader in loaders]
    assert models[0] is models[1]
    assert models[0]["metadata"]["serviceId"] == "ECS"
    keys = [
        f.client("ecs", REGION)._request_signer._credentials.access_key for f in (first, second)
    ]
    assert keys == ["one", "two"]
