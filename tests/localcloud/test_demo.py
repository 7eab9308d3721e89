"""The demo app: its image serves a page naming the task and a health path, from the local
ECR, and ``localcloud up`` builds and pushes it when tasks run as containers."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from rich.console import Console

from localcloud import LocalCloud
from localcloud.demo import image as demo_image
from localcloud.demo.step import REAL_CONTAINERS_HINT, demo_image_step, demo_plan
from localcloud.ecs.runtime import RuntimeChoice
from localcloud.errors import LocalCloudError
from tests.localcloud.test_cli import cli_env, free_port

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "stacks" / "Pulumi.localstack.yaml"
#: Label of every container these tests run, so a leftover is found.
TEST_LABEL = "localcloud.test-demo"


@pytest.fixture
def docker_client():
    import docker

    client = docker.from_env()
    yield client
    for container in client.containers.list(
        all=True, ignore_removed=True, filters={"label": TEST_LABEL}
    ):
        container.remove(force=True)
    client.close()


@pytest.fixture
def demo(docker_client):
    """The demo image, built under a tag of this test (removed after it)."""
    tag = f"localcloud-test-demo:{uuid.uuid4().hex[:10]}"
    yield demo_image.build(docker_client, tag=tag)
    docker_client.images.remove(tag, force=True)


def serve(docker_client, image: str, **environment: str) -> tuple[object, int]:
    """Run *image* read-only with port 80 published on 127.0.0.1; the container and its port."""
    container = docker_client.containers.run(
        image,
        detach=True,
        read_only=True,
        environment=environment,
        ports={f"{demo_image.PORT}/tcp": ("127.0.0.1", None)},
        labels={TEST_LABEL: "1"},
    )
    container.reload()
    return container, int(container.ports[f"{demo_image.PORT}/tcp"][0]["HostPort"])


def get(port: int, path: str) -> tuple[int, str]:
    """GET 127.0.0.1:*port*/*path*, retried for a few seconds while the server starts."""
    deadline = time.monotonic() + 10
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as answer:
                return answer.status, answer.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.mark.docker
def test_the_demo_image_serves_a_page_naming_the_task_and_a_health_path(docker_client, demo):
    container, port = serve(docker_client, demo.id, ECS_TASK_ID="0123456789abcdef")

    status, page = get(port, demo_image.PAGE_PATH)
    assert status == 200
    assert "<h1>Hello from the local cloud</h1>" in page
    assert f"served by task container <b>{container.id[:12]}</b>" in page
    assert "<code>ECS_TASK_ID=0123456789abcdef</code>" in page
    assert get(port, demo_image.HEALTH_PATH) == (200, "ok\n")
    assert demo.labels[demo_image.LABEL] == "1"
    assert demo.attrs["Size"] < 3_000_000  # busybox and two files


@pytest.mark.docker
def test_the_demo_pushed_to_the_local_ecr_runs_from_there(local_cloud, docker_client, demo):
    if not isinstance(local_cloud, LocalCloud):
        pytest.skip("the local ECR is part of the embedded emulator")
    ecr = local_cloud.client("ecr")
    uri = ecr.create_repository(repositoryName="demo", imageTagMutability="IMMUTABLE")[
        "repository"
    ]["repositoryUri"]

    digest = demo_image.push(docker_client, demo, uri, "1.0.0")

    (detail,) = ecr.describe_images(repositoryName="demo")["imageDetails"]
    assert (detail["imageTags"], detail["imageDigest"]) == (["1.0.0"], digest)
    pulled = docker_client.images.pull(uri, tag="1.0.0")
    try:
        assert pulled.id == demo.id
        _container, port = serve(docker_client, f"{uri}:1.0.0")
        assert get(port, demo_image.HEALTH_PATH) == (200, "ok\n")
    finally:
        docker_client.images.remove(f"{uri}:1.0.0", noprune=True)
    with pytest.raises(LocalCloudError, match=r"tag invalid: The image tag '1\.0\.0' already"):
        demo_image.push(docker_client, docker_client.images.get(demo.id), uri, "1.0.0")


def test_the_demo_image_needs_a_static_busybox():
    with pytest.raises(LocalCloudError) as raised:
        demo_image.build(object(), busybox="/nonexistent/busybox")
    assert str(raised.value) == (
        "the demo image needs a static busybox at /nonexistent/busybox "
        "(apt-get install busybox-static)"
    )


def test_the_demo_goes_to_the_stacks_own_repository_under_its_image_tag(tmp_path):
    assert demo_plan(STACK, {}) == ("1.0.0", "")
    assert demo_plan(STACK, {"fargate-app:imageTag": "2.0.0"}) == ("2.0.0", "")
    assert demo_plan(STACK, {"fargate-app:image": "nginx:1.27"}) == (
        None,
        "the stack deploys its own image nginx:1.27",
    )
    assert demo_plan(STACK, {"fargate-app:containerPort": 8080}) == (
        None,
        "the stack's containerPort is 8080; the demo serves on 80",
    )
    bare = tmp_path / "Pulumi.bare.yaml"
    bare.write_text("config:\n  aws:region: us-east-1\n")
    assert demo_plan(bare, {}) == ("latest", "")  # the component's default tag


def test_simulated_tasks_get_no_demo_image_and_a_hint():
    printed = io.StringIO()
    console = Console(file=printed, width=200)
    choice = RuntimeChoice("simulated", "asked for; no containers run")
    with demo_image_step(SimpleNamespace(runtime=choice), STACK, {}, console) as publisher:
        assert publisher is None
    assert printed.getvalue() == REAL_CONTAINERS_HINT.format(reason=choice.reason) + "\n"


@pytest.mark.docker
def test_up_pushes_the_demo_to_the_stacks_repository_and_it_serves(docker_client, tmp_path):
    port = free_port()
    outputs = tmp_path / "outputs.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "localcloud", "up", "--serve", "--port", str(port),
         "--outputs", str(outputs), "--task-start-delay", "0.2", "--tick-interval", "0.1",
         "--runtime", "docker"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(),
    )  # fmt: skip
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("serving until Ctrl-C"):
                break
        written = json.loads(outputs.read_text())
        uri = written["repository_url"]
        assert uri.startswith("127.0.0.1:")
        assert any(line.startswith(f"demo image pushed to {uri}:1.0.0 (") for line in lines), lines
        import boto3

        ecr = boto3.client(
            "ecr",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        (detail,) = ecr.describe_images(repositoryName=uri.split("/", 1)[1])["imageDetails"]
        assert detail["imageTags"] == ["1.0.0"]
        pulled = docker_client.images.pull(uri, tag="1.0.0")
        try:
            assert pulled.labels[demo_image.LABEL] == "1"
            _container, served = serve(docker_client, f"{uri}:1.0.0")
            assert "Hello from the local cloud" in get(served, "/")[1]
        finally:
            docker_client.images.remove(f"{uri}:1.0.0", noprune=True)
    finally:
        process.send_signal(signal.SIGINT)
        rest, err = process.communicate(timeout=60)
    assert process.returncode == 0, err


@pytest.mark.docker
def test_a_repeated_deploy_keeps_the_demo_already_in_the_repository(
    local_cloud, docker_client, demo
):
    if not isinstance(local_cloud, LocalCloud):
        pytest.skip("the local ECR is part of the embedded emulator")
    from localcloud.demo.step import REPOSITORY_TYPE, DemoPublisher
    from localcloud.deploy.mocks import Created

    local_cloud.client("ecr").create_repository(
        repositoryName="again", imageTagMutability="IMMUTABLE"
    )
    printed = io.StringIO()
    publisher = DemoPublisher(
        local_cloud, docker_client, demo, "1.0.0", Console(file=printed, width=200)
    )
    created = Created(REPOSITORY_TYPE, "web-repo", "again", 0.0, True)

    publisher.on_created(created)
    publisher.on_created(created)  # an IMMUTABLE tag: a second push would be refused

    uri = local_cloud.ecr.repository_uri("again")
    assert publisher.pushed == [f"{uri}:1.0.0"]
    assert printed.getvalue().splitlines()[-1] == f"demo image already in {uri}:1.0.0"
