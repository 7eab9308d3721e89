"""Shared set-up of the local cloud tests: a hand-driven scheduler, a minimal Fargate service,
and for the docker runtime's tests an image built once per session and a real registry."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.testing import FargateService, ServiceBuilder, free_port


@pytest.fixture
def manual_scheduler(local_cloud):
    """The embedded scheduler without its background thread: only ``tick()`` moves tasks."""
    if not isinstance(local_cloud, LocalCloud):
        pytest.skip("drives the embedded scheduler directly")
    scheduler = local_cloud.scheduler
    scheduler.stop()
    delay = scheduler.task_start_delay
    scheduler.task_start_delay = 0
    yield scheduler
    scheduler.task_start_delay = delay
    scheduler.start()


@pytest.fixture
def make_service(aws_client):
    """Factory creating VPC, subnets, SG, target group, cluster, task definition and service.

    Cluster "web", service "api", container port 8080, two subnets in us-east-1a/b
    (``localcloud.testing.ServiceBuilder.fargate_service``).
    """

    def make(desired_count: int = 2, **options: Any) -> FargateService:
        return ServiceBuilder(aws_client).fargate_service(
            desired_count=desired_count, container_port=8080, **options
        )

    return make


# -- the docker runtime's tests: images built once per session, a real registry ---------------

#: Label of every image and container these tests make (leftovers: docker ps -f label=...).
TEST_LABEL = "localcloud.test"
BUSYBOX = Path("/bin/busybox")
DOCKERFILE = """\
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY www /www
ENTRYPOINT ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]
"""


@pytest.fixture(scope="session")
def docker_client():
    """The Docker Engine API client (docker-marked tests only)."""
    import docker

    client = docker.from_env()
    yield client
    client.close()


@pytest.fixture(scope="session")
def busybox_image(_local_cloud_session, docker_client, tmp_path_factory):
    """A 2 MB image built here FROM scratch: busybox httpd on 8080 serving ``hello``; removed
    at the end of the session with every tag tests gave it, after the containers that ran it.
    Its tag is unique to this process."""
    context = tmp_path_factory.mktemp("busybox-image")
    shutil.copy(BUSYBOX, context / "busybox")
    (context / "www").mkdir()
    (context / "www" / "index.html").write_text("hello from the task\n")
    (context / "Dockerfile").write_text(DOCKERFILE)
    tag = f"localcloud-test-busybox:{os.getpid()}"
    image, _ = docker_client.images.build(
        path=str(context), tag=tag, labels={TEST_LABEL: "true"}, rm=True
    )
    yield tag
    # Before the image: the containers still running it (the session's cloud stops after this).
    _local_cloud_session.use_runtime("simulated")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and docker_client.containers.list(
        all=True, ignore_removed=True, filters={"ancestor": tag}
    ):
        time.sleep(0.2)
    docker_client.images.remove(image.id, force=True)  # every tag a test gave it, too


@pytest.fixture(scope="session")
def registry(tmp_path_factory):
    """A real OCI registry (Debian's docker-registry) on a free 127.0.0.1 port: its host:port."""
    if shutil.which("docker-registry") is None:
        pytest.skip("needs docker-registry (Debian package docker-registry)")
    root = tmp_path_factory.mktemp("registry")
    port = free_port()
    config = root / "config.yml"
    config.write_text(
        f"version: 0.1\nstorage: {{filesystem: {{rootdirectory: {root / 'data'}}}}}\n"
        f"http: {{addr: 127.0.0.1:{port}}}\nlog: {{level: error}}\n"
    )
    process = subprocess.Popen(
        ["docker-registry", "serve", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("docker-registry did not answer within 20 s")
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
