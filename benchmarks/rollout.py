"""Rollouts under traffic through the local load balancer, with real containers.

1. v1 -> v2: ``localcloud deploy`` of a new image tag while a client sends continuous, bounded
   HTTP requests to the stack's listener on 127.0.0.1 (from the endpoints file): requests
   sent, failed requests (target 0) and the time until the rollout converged.
2. A bad v2: the crash-loop fault armed, then a deploy of another tag: the circuit breaker
   fails it and rolls back; time from the deploy to the rollback COMPLETED, and the failed
   requests meanwhile.

Before each deploy the new tag is pushed to the stack's repository in the local ECR (the demo
image, as a release pipeline pushes before ``pulumi up``). It needs the local data plane: a
Docker Engine, the ``docker`` task runtime and the local load balancer
(``.localcloud/endpoints-<port>.json``). Without a local load balancer it says so and exits 1.
A measurement, not a test.

    .venv/bin/python benchmarks/rollout.py [--v2-tag 2.0.0] [--bad-tag 3.0.0] [--runtime docker]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from localcloud.testing import free_port

PROJECT = Path(__file__).resolve().parent.parent
STACK = "stacks/Pulumi.localstack.yaml"
#: Bounds of the traffic: one request every INTERVAL_S, at most MAX_REQUESTS per phase.
INTERVAL_S = 0.02
MAX_REQUESTS = 20_000
REQUEST_TIMEOUT_S = 2.0
START_TIMEOUT_S = 240.0
ROLLBACK_TIMEOUT_S = 300.0


@dataclass
class Traffic:
    """A client sending GETs to *url* until stopped (bounded by MAX_REQUESTS)."""

    url: str
    sent: int = 0
    failed: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Traffic:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set() and self.sent < MAX_REQUESTS:
            self.sent += 1
            try:
                with urllib.request.urlopen(self.url, timeout=REQUEST_TIMEOUT_S) as answer:
                    ok, why = answer.status == 200, str(answer.status)
            except urllib.error.HTTPError as error:
                ok, why = False, str(error.code)
            except OSError as error:
                ok, why = False, type(error).__name__
            if not ok:
                self.failed += 1
                self.failures[why] = self.failures.get(why, 0) + 1
            self._stop.wait(INTERVAL_S)


def localcloud(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "localcloud", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(),
    )


def _env() -> dict[str, str]:
    drop = ("LOCALSTACK_ENDPOINT", "AWS_ENDPOINT_URL")
    return {k: v for k, v in os.environ.items() if k not in drop}


def no_load_balancer(why: str) -> None:
    sys.exit(
        f"rollout benchmark: no local load balancer available ({why}). It needs the local "
        "data plane: a Docker Engine, `localcloud up --runtime docker` and the local load "
        "balancer's endpoints file; nothing was measured."
    )


def listener_url(endpoints: Path, outputs: Path) -> str:
    """The HTTP listener URL of the stack's load balancer, from the endpoints file."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while not (endpoints.is_file() and outputs.is_file()):
        if time.monotonic() > deadline:
            no_load_balancer(f"{endpoints} was not written")
        time.sleep(0.5)
    dns = json.loads(outputs.read_text())["load_balancer_dns_name"]
    listeners = json.loads(endpoints.read_text()).get(dns) or {}
    url = listeners.get("80") or next(iter(listeners.values()), None)
    if not url:
        no_load_balancer(f"{endpoints} has no listener for {dns}")
    return url


def publish(repository_url: str, tag: str) -> None:
    """Push the demo image to the stack's repository as *tag* (a release's image)."""
    import docker

    from localcloud.demo import image as demo_image

    client = docker.from_env()
    try:
        demo_image.push(client, demo_image.build(client), repository_url, tag)
    finally:
        client.close()


def primary(endpoint: str, outputs: Path) -> dict:
    import boto3

    document = json.loads(outputs.read_text())
    ecs = boto3.client(
        "ecs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    service = ecs.describe_services(
        cluster=document["cluster_name"], services=[document["service_name"]]
    )["services"][0]
    return {"deployments": service["deployments"], "events": service["events"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--v2-tag", default="2.0.0")
    parser.add_argument("--bad-tag", default="3.0.0")
    parser.add_argument("--runtime", default="docker")
    args = parser.parse_args()
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="localcloud-rollout-"))
    outputs = workdir / f"outputs-{port}.json"
    endpoints = workdir / f"endpoints-{port}.json"
    serve = subprocess.Popen(
        [sys.executable, "-m", "localcloud", "up", "--serve", "--port", str(port),
         "--runtime", args.runtime, "--outputs", str(outputs), "--timeout", "180"],
        cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
    )  # fmt: skip
    try:
        time.sleep(1)
        if serve.poll() is not None:
            no_load_balancer(f"`localcloud up` exited: {serve.stderr.read().strip()[-300:]}")
        url = listener_url(endpoints, outputs)
        print(f"listener {url}")
        repository_url = json.loads(outputs.read_text())["repository_url"]
        for tag in (args.v2_tag, args.bad_tag):
            publish(repository_url, tag)

        with Traffic(url) as traffic:
            started = time.monotonic()
            run = localcloud("deploy", "--port", str(port), "--outputs", str(outputs),
                             "--config", f"fargate-app:imageTag={args.v2_tag}")  # fmt: skip
            took = time.monotonic() - started
        if run.returncode != 0:
            sys.exit(f"the v2 deploy failed: {run.stderr.strip()[-500:]}")
        print(f"v1 -> v2: {took:.1f} s to converge; requests sent {traffic.sent}, failed "
              f"{traffic.failed} {traffic.failures or ''}")  # fmt: skip

        good = primary(endpoint, outputs)["deployments"][0]["taskDefinition"]
        armed = localcloud("fault", "crash-loop", "--port", str(port), "--outputs", str(outputs))
        if armed.returncode != 0:
            sys.exit(f"arming the crash loop failed: {armed.stderr.strip()}")
        with Traffic(url) as traffic:
            started = time.monotonic()
            localcloud("deploy", "--port", str(port), "--outputs", str(outputs),
                       "--config", f"fargate-app:imageTag={args.bad_tag}")  # fmt: skip
            while True:  # the deploy's wait fails fast; the rollback goes on
                [first, *others] = primary(endpoint, outputs)["deployments"]
                back = first["taskDefinition"] == good and first["rolloutState"] == "COMPLETED"
                if back and not others:
                    break
                if time.monotonic() - started > ROLLBACK_TIMEOUT_S:
                    sys.exit(f"no rollback within {ROLLBACK_TIMEOUT_S:g} s")
                time.sleep(0.2)
            took = time.monotonic() - started
        print(f"bad v2: {took:.1f} s from deploy to rollback COMPLETED; requests sent "
              f"{traffic.sent}, failed {traffic.failed} {traffic.failures or ''}")  # fmt: skip
        localcloud("fault", "clear", "--port", str(port))
    finally:
        serve.send_signal(signal.SIGINT)
        try:
            serve.wait(timeout=60)
        except subprocess.TimeoutExpired:
            serve.kill()


if __name__ == "__main__":
    main()
