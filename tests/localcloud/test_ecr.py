"""The local ECR: a real registry behind ECR's API (repositoryUri, tokens, pushes, images)."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from localcloud import LocalCloud
from localcloud.ecr import IMMUTABLE_TAG_MESSAGE, LocalEcr
from localcloud.ecr.catalog import manifest_digest
from localcloud.ecr.registry import STORAGE_PREFIX, stop_leftovers
from tests.preloaded import PRELOADED

ROOT = Path(__file__).resolve().parents[2]
#: Label of every image these tests build, so a leftover is found.
TEST_LABEL = "localcloud.test-ecr"


@pytest.fixture
def ecr(local_cloud):
    """The embedded cloud's local ECR (the registry binary is installed here and in CI)."""
    if not isinstance(local_cloud, LocalCloud):
        pytest.skip("the local ECR is part of the embedded emulator")
    assert local_cloud.ecr.running, local_cloud.ecr.status
    return local_cloud.ecr


@pytest.fixture
def docker_client():
    import docker

    client = docker.from_env()
    yield client
    client.close()


@pytest.fixture
def build_image(docker_client, tmp_path):
    """Factory: a tiny ``FROM scratch`` image holding *content*; removed after the test."""
    built = []

    def build(content: str):
        context = tmp_path / uuid.uuid4().hex[:8]
        context.mkdir()
        (context / "content.txt").write_text(content)
        (context / "Dockerfile").write_text("FROM scratch\nCOPY content.txt /content.txt\n")
        tag = f"localcloud-test-ecr:{uuid.uuid4().hex[:10]}"
        image, _ = docker_client.images.build(
            path=str(context), tag=tag, labels={TEST_LABEL: "1"}, rm=True, forcerm=True
        )
        built.append(tag)
        return image

    yield build
    for tag in built:
        docker_client.images.remove(tag, force=True)


def docker_push(image, uri: str, tag: str) -> subprocess.CompletedProcess:
    """``docker push uri:tag`` of *image* with the docker CLI (the local alias removed after)."""
    image.tag(uri, tag)
    try:
        return subprocess.run(
            ["docker", "push", f"{uri}:{tag}"], capture_output=True, text=True, timeout=60
        )
    finally:
        subprocess.run(["docker", "rmi", f"{uri}:{tag}"], capture_output=True, timeout=30)


def pushed_digest(push: subprocess.CompletedProcess) -> str:
    assert push.returncode == 0, push.stderr
    return push.stdout.split("digest: ", 1)[1].split()[0]


def test_repositories_are_on_the_local_registry(ecr, aws_client):
    client = aws_client("ecr")
    created = client.create_repository(repositoryName="shop/web")["repository"]
    assert created["repositoryUri"] == f"{ecr.endpoint}/shop/web"
    assert created["repositoryUri"].startswith("127.0.0.1:")
    described = client.describe_repositories(repositoryNames=["shop/web"])["repositories"][0]
    assert described["repositoryUri"] == created["repositoryUri"]
    with urllib.request.urlopen(f"http://{ecr.endpoint}/v2/", timeout=5) as answer:
        assert answer.status == 200  # a real OCI registry answers behind the URI
        assert answer.headers["Docker-Distribution-Api-Version"] == "registry/2.0"


def test_the_authorization_token_logs_docker_in(ecr, aws_client, tmp_path):
    data = aws_client("ecr").get_authorization_token()["authorizationData"][0]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    assert user == "AWS" and password
    assert data["proxyEndpoint"] == f"http://{ecr.endpoint}"
    assert data["expiresAt"] > datetime.now(UTC)
    login = subprocess.run(
        ["docker", "login", "-u", "AWS", "--password-stdin", data["proxyEndpoint"]],
        input=password,
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "DOCKER_CONFIG": str(tmp_path)},  # not the user's credentials
    )
    assert login.returncode == 0, login.stderr
    assert "Login Succeeded" in login.stdout


@pytest.mark.docker
def test_a_push_shows_in_describe_and_list_images(ecr, aws_client, build_image):
    client = aws_client("ecr")
    uri = client.create_repository(repositoryName="pushed")["repository"]["repositoryUri"]
    before = datetime.now(UTC).replace(microsecond=0)
    digest = pushed_digest(docker_push(build_image("first"), uri, "v1"))
    after = datetime.now(UTC)

    (detail,) = client.describe_images(repositoryName="pushed")["imageDetails"]
    assert detail["imageTags"] == ["v1"]
    assert detail["imageDigest"] == digest
    assert before <= detail["imagePushedAt"] <= after
    assert detail["imageManifestMediaType"] == (
        "application/vnd.docker.distribution.manifest.v2+json"
    )
    (image,) = client.batch_get_image(repositoryName="pushed", imageIds=[{"imageTag": "v1"}])[
        "images"
    ]
    assert manifest_digest(image["imageManifest"].encode()) == digest  # the registry's bytes
    manifest = json.loads(image["imageManifest"])
    assert detail["imageSizeInBytes"] == sum(layer["size"] for layer in manifest["layers"]) > 0
    assert client.list_images(repositoryName="pushed")["imageIds"] == [
        {"imageDigest": digest, "imageTag": "v1"}
    ]


@pytest.mark.docker
def test_an_immutable_repository_refuses_a_new_image_under_an_existing_tag(
    ecr, aws_client, build_image
):
    client = aws_client("ecr")
    uri = client.create_repository(repositoryName="frozen", imageTagMutability="IMMUTABLE")[
        "repository"
    ]["repositoryUri"]
    first = pushed_digest(docker_push(build_image("first"), uri, "1.0.0"))

    refused = docker_push(build_image("second"), uri, "1.0.0")

    assert refused.returncode != 0
    message = IMMUTABLE_TAG_MESSAGE.format(tag="1.0.0", repository="frozen")
    assert f"tag invalid: {message}" in refused.stderr
    assert [
        d["imageDigest"] for d in client.describe_images(repositoryName="frozen")["imageDetails"]
    ] == [first]
    assert pushed_digest(docker_push(build_image("second"), uri, "1.0.1"))  # a new tag is fine


@pytest.mark.docker
def test_a_mutable_repository_moves_the_tag_to_the_new_image(ecr, aws_client, build_image):
    client = aws_client("ecr")
    uri = client.create_repository(repositoryName="moving")["repository"]["repositoryUri"]
    pushed_digest(docker_push(build_image("first"), uri, "latest"))
    second = pushed_digest(docker_push(build_image("second"), uri, "latest"))

    details = client.describe_images(repositoryName="moving")["imageDetails"]
    assert [(d["imageDigest"], d["imageTags"]) for d in details] == [(second, ["latest"])]


@pytest.mark.docker
def test_deleted_images_and_repositories_leave_the_registry(ecr, aws_client, build_image):
    client = aws_client("ecr")
    uri = client.create_repository(repositoryName="gone")["repository"]["repositoryUri"]
    kept = pushed_digest(docker_push(build_image("kept"), uri, "kept"))
    pushed_digest(docker_push(build_image("dropped"), uri, "dropped"))

    client.batch_delete_image(repositoryName="gone", imageIds=[{"imageTag": "dropped"}])
    assert client.list_images(repositoryName="gone")["imageIds"] == [
        {"imageDigest": kept, "imageTag": "kept"}
    ]
    with pytest.raises(client.exceptions.RepositoryNotEmptyException):
        client.delete_repository(repositoryName="gone")
    client.delete_repository(repositoryName="gone", force=True)
    client.create_repository(repositoryName="gone")
    assert client.list_images(repositoryName="gone")["imageIds"] == []


@pytest.mark.docker
def test_a_push_to_a_repository_ecr_does_not_have_fails_naming_it(ecr, build_image):
    refused = docker_push(build_image("orphan"), f"{ecr.endpoint}/never-created", "v1")
    assert refused.returncode != 0
    assert (
        "name unknown: The repository with name 'never-created' does not exist in the registry "
        "with id '123456789012'"
    ) in refused.stderr


def _released(port: int) -> bool:
    """Nothing listens on 127.0.0.1:*port* (connections are refused)."""
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"


def python_lines(*lines: str) -> list[str]:
    """Run *lines* as a Python program in a process of its own (forked from the preloaded
    Python, ``tests.preloaded``); its output."""
    run = PRELOADED.run(["-c", "\n".join(lines)], cwd=ROOT, timeout=60)
    assert run.returncode == 0, run.stderr
    return run.stdout.splitlines()


def test_the_registry_and_the_proxy_stop_with_the_emulator():
    started, stopped = python_lines(
        "import json, urllib.parse",
        "from localcloud.cloud import LocalCloud",
        "cloud = LocalCloud(port=0, tick_interval=0).start()",
        "ecr = cloud.ecr",
        "print(json.dumps({'pid': ecr.registry_pid, 'proxy': int(ecr.endpoint.split(':')[1]),"
        " 'registry': urllib.parse.urlsplit(ecr.registry_url).port}))",
        "cloud.stop()",
        "print(ecr.running, ecr.registry_pid)",
    )
    ports = json.loads(started)
    assert ports["pid"] and stopped == "False None"
    assert _gone(ports["pid"])
    assert _released(ports["proxy"]) and _released(ports["registry"])


def test_a_registry_left_by_a_killed_emulator_is_stopped_at_the_next_start():
    script = (
        "from localcloud.ecr.registry import RegistryProcess, choose_registry\n"
        "registry = RegistryProcess(choose_registry())\n"
        "registry.start()\n"
        "print(registry.pid, registry.storage, flush=True)\n"
        "import time; time.sleep(60)\n"
    )
    owner = PRELOADED.popen(["-c", script], cwd=ROOT)
    try:
        pid, storage = owner.stdout.readline().split()
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait(timeout=10)
    # (Not asserted alive here: another test process's start may already have stopped it.)
    assert Path(storage).name.startswith(STORAGE_PREFIX)

    stop_leftovers()

    deadline = time.monotonic() + 5
    while not _gone(int(pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(int(pid))
    assert not Path(storage).exists()


def test_without_a_registry_ecr_keeps_motos_behaviour_and_says_why():
    running, status, uri, endpoint = python_lines(
        "from localcloud.cloud import LocalCloud",
        "cloud = LocalCloud(port=0, tick_interval=0)",
        "cloud.ecr.registry_binary = '/nonexistent/docker-registry'",
        "cloud.start()",
        "print(cloud.ecr.running)",
        "print(cloud.ecr.status)",
        "ecr = cloud.client('ecr')",
        "print(ecr.create_repository(repositoryName='web')['repository']['repositoryUri'])",
        "print(ecr.get_authorization_token()['authorizationData'][0]['proxyEndpoint'])",
        "cloud.stop()",
    )
    assert running == "False"
    assert status.startswith("no registry (/nonexistent/docker-registry is not installed and ")
    assert status.endswith(
        "ECR answers as moto does and holds no images; install Debian's "
        "docker-registry for a local ECR"
    )
    assert uri == "123456789012.dkr.ecr.us-east-1.amazonaws.com/web"
    assert endpoint == "https://123456789012.dkr.ecr.us-east-1.amazonaws.com"


def test_a_stopped_local_ecr_releases_its_ports():
    ecr = LocalEcr()
    ecr.start()
    assert ecr.running
    pid, proxy = ecr.registry_pid, int(ecr.endpoint.split(":")[1])
    ecr.stop()
    assert not ecr.running and ecr.status == "stopped"
    assert _gone(pid) and _released(proxy)


def test_a_registry_that_never_answers_leaves_ecr_to_moto_and_says_why():
    def storages() -> set[Path]:
        return set(Path(tempfile.gettempdir()).glob(f"{STORAGE_PREFIX}{os.getpid()}-*"))

    before = storages()
    ecr = LocalEcr()
    ecr.registry_binary = "/bin/false"  # exits at once instead of serving
    ecr.start()
    try:
        assert not ecr.running
        assert ecr.status.startswith(
            "no registry (the local ECR's registry (/bin/false) did not answer on 127.0.0.1:"
        )
        assert storages() == before  # its storage went with it
    finally:
        ecr.stop()
