"""The local load balancer in front of real containers (a busybox httpd built FROM scratch).

The containers are run with the docker SDK directly, published on 127.0.0.1 and recorded in
``localcloud.vpc.ADDRESSES`` as a task runtime would; traffic stays on loopback.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from localcloud.vpc import ADDRESSES
from tests.localcloud.lb_support import fast_health_checks, get, health_of, make_alb
from tests.localcloud.support import wait_until

LABEL = "localcloud.test.load-balancer"
HEALTH_SCRIPT = "#!/bin/busybox sh\necho 'Content-Type: text/plain'\necho\necho ok\n"


@pytest.fixture(scope="session")
def httpd_image(tmp_path_factory):
    """A 1 MB web server image: busybox httpd serving /www (index and a CGI health check)."""
    import docker

    context = tmp_path_factory.mktemp("httpd-image")
    shutil.copy("/bin/busybox", context / "busybox")
    www = context / "www"
    (www / "cgi-bin").mkdir(parents=True)
    (www / "index.html").write_text("hello from a container\n")
    script = www / "cgi-bin" / "health"
    script.write_text(HEALTH_SCRIPT)
    script.chmod(0o755)
    Path(context, "Dockerfile").write_text(
        "FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\n"
        'ENTRYPOINT ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]\n'
    )
    client = docker.from_env()
    tag = f"localcloud-test-alb:{uuid.uuid4().hex[:8]}"
    client.images.build(path=str(context), tag=tag, labels={LABEL: "1"}, rm=True)
    yield tag
    client.images.remove(tag, force=True)


@pytest.fixture
def container(httpd_image):
    """Run the image published on 127.0.0.1; it and its address go after the test."""
    import docker

    client = docker.from_env()
    made = []

    def run(ip: str) -> int:
        started = client.containers.run(
            httpd_image,
            detach=True,
            labels={LABEL: "1"},
            ports={"8080/tcp": ("127.0.0.1", None)},
            name=f"localcloud-test-alb-{uuid.uuid4().hex[:8]}",
        )
        made.append(started)
        started.reload()
        port = int(started.ports["8080/tcp"][0]["HostPort"])
        ADDRESSES.publish(ip, 8080, "127.0.0.1", port)
        return port

    yield run
    for started in made:
        started.remove(force=True)
    ADDRESSES.clear()


@pytest.mark.docker
def test_a_container_serves_through_the_local_alb_and_turns_healthy(
    aws_client, local_cloud, container
):
    alb = make_alb(aws_client)
    elbv2 = aws_client("elbv2")
    group = elbv2.create_target_group(
        Name="app", Protocol="HTTP", Port=8080, VpcId=alb.network.vpc_id, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    fast_health_checks(aws_client, group, path="/cgi-bin/health")
    elbv2.create_listener(
        LoadBalancerArn=alb.arn,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
    )
    container("10.0.1.70")
    elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": "10.0.1.70", "Port": 8080}])
    url = local_cloud.load_balancer.endpoints()[alb.dns_name]["80"]

    wait_until(lambda: get(url)[0] == 200, "httpd to answer", 15)
    assert get(f"{url}/index.html")[:2] == (200, "hello from a container\n")
    wait_until(lambda: health_of(aws_client, group)["10.0.1.70"][0] == "healthy", "healthy", 20)
    assert health_of(aws_client, group) == {"10.0.1.70": ("healthy", None, None)}
