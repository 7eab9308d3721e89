"""``python -m localcloud``: up, serve and fault, with their exit codes and one-line errors."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from localcloud.cli import main
from localcloud.remote import RemoteCloud
from localcloud.testing import free_port
from tests.preloaded import PRELOADED

PROJECT = Path(__file__).resolve().parents[2]


def assert_port_free(port: int) -> None:
    """Nothing listens on the port any more (SO_REUSEADDR: TIME_WAIT leftovers do not count)."""
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))
        again.listen()


def cli_env() -> dict[str, str]:
    """The environment of a CLI subprocess: this checkout's code wherever it runs, no endpoint,
    the simulated runtime (the stacks' images are not in any registry here)."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("LOCALSTACK_ENDPOINT", "AWS_ENDPOINT_URL")
    }
    return {**env, "PYTHONPATH": str(PROJECT), "COLUMNS": "120", "LOCALCLOUD_RUNTIME": "simulated"}


def localcloud(
    *args: str, timeout: float = 120, cwd: Path = PROJECT
) -> subprocess.CompletedProcess:
    """Run ``python -m localcloud ARGS`` to the end, in a process forked from a preloaded
    Python (``tests.preloaded``: the same process, without seconds of imports)."""
    return PRELOADED.run(["-m", "localcloud", *args], cwd=cwd, env=cli_env(), timeout=timeout)


def test_up_on_a_busy_port_is_a_one_line_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = localcloud("up", "--port", str(port))
    assert run.returncode == 1
    assert run.stderr == (
        f"localcloud: error: port {port} on 127.0.0.1 is busy (another emulator or "
        "LocalStack?); stop it or choose another with --port\n"
    )


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("desiredCount=3", "--config desiredCount=3: expected KEY=VALUE with a namespaced key, "
                           "e.g. fargate-app:desiredCount=3"),
        ("fargate-app:tags={a: [", "--config fargate-app:tags={a: [: the value is not valid YAML"),
    ],
)  # fmt: skip
def test_up_with_a_bad_config_flag_is_a_usage_error(capsys, flag, message):
    assert main(["up", "--port", str(free_port()), "--config", flag]) == 2
    assert capsys.readouterr().err == f"localcloud: error: {message}\n"


def test_up_with_a_missing_stack_config_is_a_usage_error(capsys):
    argv = ["up", "--port", str(free_port()), "--stack-config", "stacks/Pulumi.nope.yaml"]
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        "localcloud: error: --stack-config stacks/Pulumi.nope.yaml: no such file\n"
    )


def test_up_with_an_invalid_stack_config_is_a_usage_error(tmp_path):
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text("config:\n  fargate-app:desiredCount: -1\n")
    run = localcloud("up", "--port", str(free_port()), "--stack-config", str(bad))
    assert run.returncode == 2
    assert run.stderr.startswith("localcloud: error: FargateApp desired_count: -1 is not allowed")
    assert run.stderr.count("\n") == 1


def test_serve_runs_until_interrupted_and_releases_the_port():
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if k not in ("LOCALSTACK_ENDPOINT", "AWS_ENDPOINT_URL")
    }
    server = PRELOADED.popen(["-m", "localcloud", "serve", "--port", str(port)], env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                remote = RemoteCloud(f"http://127.0.0.1:{port}")
                break
            except Exception:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
        assert remote.is_localcloud
        assert remote.client("ecs").list_clusters()["clusterArns"] == []
        # The API answers before the rest starts (registry, load balancer): interrupt once the
        # emulator has said how to reach it (its last line names the fault command), as a user
        # would.
        announced = []
        for line in server.stdout:
            announced.append(line)
            if "localcloud fault list" in line:
                break
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0
        out = "".join(announced) + server.stdout.read()
        assert f"export AWS_ENDPOINT_URL=http://127.0.0.1:{port} " in out
        assert out.rstrip().endswith("stopping the local cloud")
    finally:
        if server.poll() is None:
            server.kill()
    assert_port_free(port)


def test_serve_reports_an_emulator_crash_in_one_line_and_releases_the_port(monkeypatch, capsys):
    from localcloud.cloud import LocalCloud

    port = free_port()
    original_start = LocalCloud.start

    def start_then_crash(self):
        started = original_start(self)
        # The serving thread ends on its own, as when the HTTP server dies under the emulator.
        threading.Timer(0.3, self._server._server.shutdown).start()
        return started

    monkeypatch.setattr(LocalCloud, "start", start_then_crash)
    assert main(["serve", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err == "localcloud: error: the emulator stopped unexpectedly; see the log above\n"
    assert_port_free(port)


def test_fault_command_arms_faults_in_a_running_emulator(
    local_cloud, faults, make_service, capsys, tmp_path
):
    svc = make_service(cluster="web", service="api")
    endpoint = ["--endpoint", local_cloud.endpoint_url]
    none = ["--outputs", str(tmp_path / "none.json")]
    assert (
        main(["fault", "crash-loop", *endpoint, "--cluster", "web", "--service", "api", *none]) == 0
    )
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps(
            {
                "reconcile": {
                    "cluster": "web",
                    "service": "api",
                    "desired_count": 2,
                    "target_group_arn": svc.target_group_arn,
                }
            }
        )
    )
    assert main(["fault", "capacity-shortage", *endpoint, "--outputs", str(outputs)]) == 0
    assert main(["fault", "throttle", *endpoint, "--fraction", "0.5", "--services", "ecs"]) == 0
    assert faults.active() == [
        {
            "fault": "crash-loop",
            "cluster": "web",
            "service": "api",
            "reason": "Essential container in task exited",
        },
        {"fault": "capacity-shortage", "cluster": "web", "service": "api"},
        {"fault": "throttle", "fraction": 0.5, "services": ["ecs"], "throttled_calls": {}},
    ]
    assert main(["fault", "clear", *endpoint]) == 0
    assert faults.active() == []


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (
            ["fault", "meteor-strike"],
            2,
            "fault 'meteor-strike' is unknown; use one of crash-loop, capacity-shortage, "
            "out-of-band-scale, unhealthy-targets, throttle, list, clear",
        ),
        (["fault", "throttle"], 2, "throttle needs --fraction (0 to 1)"),
        (
            ["fault", "throttle", "--fraction", "2"],
            2,
            "argument --fraction: '2' is not a fraction from 0 to 1",
        ),
        (
            ["fault", "out-of-band-scale", "--desired-count", "-3"],
            2,
            "argument --desired-count: '-3' is not a non-negative integer",
        ),
        (
            ["fault", "crash-loop", "--cluster", "nope", "--service", "nope"],
            1,
            "service 'nope' not found in cluster 'nope'",
        ),
        (
            ["fault", "unhealthy-targets", "--target-group-arn", "arn:tg", "--count", "0"],
            2,
            "argument --count: '0' is not a positive integer",
        ),
        (
            ["fault", "out-of-band-scale", "--cluster", "web", "--service", "api"],
            2,
            "out-of-band-scale needs --desired-count",
        ),
        (
            [
                "fault",
                "out-of-band-scale",
                "--cluster",
                "web",
                "--service",
                "nope",
                "--desired-count",
                "3",
            ],
            1,
            "service 'nope' not found in cluster 'web'",
        ),
        (
            ["rollover"],
            2,
            "argument command: invalid choice: 'rollover' (choose from 'up', 'serve', 'deploy', "
            "'destroy', 'fault')",
        ),
    ],
)
def test_fault_command_errors_are_one_line(
    local_cloud, faults, capsys, tmp_path, argv, code, message
):
    extra = ["--endpoint", local_cloud.endpoint_url, "--outputs", str(tmp_path / "x.json")]
    assert main(argv + (extra if argv[0] == "fault" else [])) == code
    assert capsys.readouterr().err == f"localcloud: error: {message}\n"
    assert faults.active() == []  # nothing armed


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["up", "--timeout", "-1"], "argument --timeout: '-1' is not a positive number of seconds"),
        (["up", "--timeout", "0"], "argument --timeout: '0' is not a positive number of seconds"),
        (["up", "--port", "70000"], "argument --port: '70000' is not a port number (0-65535)"),
        (
            ["serve", "--tick-interval", "0"],
            "argument --tick-interval: '0' is not a positive number of seconds",
        ),
        (
            ["fault", "list", "--endpoint", "127.0.0.1:4590"],
            "argument --endpoint: '127.0.0.1:4590' is not a URL; use e.g. http://127.0.0.1:4566 "
            "(scheme, host and port)",
        ),
        (
            ["fault", "list", "--endpoint", "http://127.0.0.1:1", "--port", "2"],
            "argument --port: not allowed with argument --endpoint",
        ),
    ],
)
def test_nonsense_flags_are_usage_errors_before_anything_starts(tmp_path, argv, message):
    """A subprocess: nothing starts (no first line, no outputs file), one line, exit 2."""
    run = localcloud(*argv, cwd=tmp_path)
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == f"localcloud: error: {message}\n"
    assert not (tmp_path / ".localcloud").exists()
