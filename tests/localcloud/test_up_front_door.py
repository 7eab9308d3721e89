"""``make up`` / ``localcloud up`` as a user meets them: options reach the CLI, progress shows at
once, piped output keeps tokens whole and the tree in order, and each emulator owns its outputs."""

from __future__ import annotations

import io
import json
import random
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from components.program import run_program
from components.testing import AwsLikeMocks
from localcloud.deploy.report import resource_tree
from tests.localcloud.test_cli import PROJECT, assert_port_free, cli_env, free_port, localcloud
from tests.preloaded import PRELOADED, ForkedProcess

pytestmark = pytest.mark.waits

STACK = str(PROJECT / "stacks" / "Pulumi.localstack.yaml")
FAST = ("--task-start-delay", "0.2")
TREE_LINE = re.compile(r"^[│├└─ ]*(\S+)  (\S+)")


def make_up_command(**variables: str) -> list[str]:
    """The command line ``make up VAR=...`` runs, as ``make -n`` prints it (nothing runs)."""
    assigned = [f"{name}={value}" for name, value in variables.items()]
    dry = subprocess.run(
        ["make", "-n", "-s", "up", *assigned],
        cwd=PROJECT, capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    (line,) = [line for line in dry.stdout.splitlines() if " -m localcloud up" in line]
    return shlex.split(line)


def strings_in(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return [value] if isinstance(value, str) else []


def tree_lines(stdout: str) -> list[tuple[str, str]]:
    """(type, name) of each line of the resource tree, in printed order (ids differ per run)."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("pulumi:pulumi:Stack"))
    end = next(i for i, line in enumerate(lines) if line.startswith("Outputs"))
    return [TREE_LINE.match(line).groups() for line in lines[start + 1 : end]]


@dataclass
class UpRun:
    """One ``localcloud up`` run, its stdout piped (COLUMNS=80): to the end, or (``--serve``)
    up to the hints printed once it serves, the process still running."""

    port: int
    outputs: Path
    first_line: str
    first_line_s: float
    rest: str
    stderr: str
    returncode: int | None
    process: ForkedProcess | None = None

    @property
    def stdout(self) -> str:
        return self.first_line + self.rest


def start_up(command: list[str], cwd: Path) -> tuple[ForkedProcess, str, float]:
    """Start the ``python -m localcloud up`` *command*, forked from the preloaded Python; its
    process, first stdout line and the seconds it took."""
    started = time.monotonic()
    assert Path(command[0]).name.startswith("python"), command
    process = PRELOADED.popen(command[1:], cwd=cwd, env={**cli_env(), "COLUMNS": "80"})
    first = process.stdout.readline()
    return process, first, time.monotonic() - started


def run_up(command: list[str], port: int, outputs: Path) -> UpRun:
    process, first, first_line_s = start_up(command, PROJECT)
    rest, err = process.communicate(timeout=180)
    return UpRun(port, outputs, first, first_line_s, rest, err, process.returncode)


def read_until(process: ForkedProcess, text: str, timeout: float = 180) -> list[str]:
    """Lines of *process*'s stdout up to the first containing *text*."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            pytest.fail(f"stdout ended before {text!r}: {seen[-5:]} {process.stderr.read()}")
        seen.append(line.rstrip("\n"))
        if text in line:
            return seen
    pytest.fail(f"no {text!r} after {timeout} s")


#: The flags ``make up ARGS=...`` passes in the first run (the outputs file is added).
MAKE_ARGS = f"--config fargate-app:desiredCount=3 {' '.join(FAST)}"


@pytest.fixture(scope="module")
def piped_ups(tmp_path_factory) -> Iterator[list[UpRun]]:
    """Two ``up`` processes, stdout piped, shared by the tests below: the first is the command
    line ``make up PORT=... ARGS=...`` runs (3 tasks), run to the end; the second plain
    ``python -m localcloud up --serve`` from another directory (the stack's 2 tasks, its
    outputs in that directory's ``.localcloud/``), left serving for
    ``test_each_emulator_owns_its_outputs_file``, which stops it (else the fixture does)."""
    workdir = tmp_path_factory.mktemp("piped-ups")
    port, outputs = free_port(), workdir / "outputs-make.json"
    made = run_up(
        make_up_command(PORT=str(port), ARGS=f"{MAKE_ARGS} --outputs {outputs}"), port, outputs
    )
    serving_dir = tmp_path_factory.mktemp("serving")
    port = free_port()
    process, first, first_line_s = start_up(
        [sys.executable, "-m", "localcloud", "up", "--serve", "--port", str(port),
         "--stack-config", STACK, *FAST],
        serving_dir,
    )  # fmt: skip
    try:
        lines = read_until(process, "serving until Ctrl-C")  # the summary, then the hints
        lines += read_until(process, "python -m reconciler check")
        serving = UpRun(
            port, serving_dir / ".localcloud" / f"outputs-{port}.json", first, first_line_s,
            "".join(f"{line}\n" for line in lines), "", None, process,
        )  # fmt: skip
        yield [made, serving]
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)


def test_make_up_passes_port_serve_and_args_to_localcloud_up(piped_ups, tmp_path):
    assert make_up_command()[-2:] == ["localcloud", "up"]
    assert make_up_command(SERVE="1")[-3:] == ["localcloud", "up", "--serve"]
    assert make_up_command(RUNTIME="docker")[-4:] == ["localcloud", "up", "--runtime", "docker"]
    args = f"{MAKE_ARGS} --outputs {tmp_path / 'outputs.json'}"
    command = make_up_command(PORT="4599", ARGS=args)
    assert command[1:] == ["-m", "localcloud", "up", "--port", "4599", *shlex.split(args)]
    run = piped_ups[0]  # what that command line did, with its own port
    assert run.returncode == 0, run.stderr
    assert run.first_line == f"starting the local cloud on 127.0.0.1:{run.port} ...\n"
    assert f"serving AWS APIs at http://127.0.0.1:{run.port}" in run.stdout
    assert json.loads(run.outputs.read_text())["reconcile"]["desired_count"] == 3
    assert_port_free(run.port)


def test_up_deploys_waits_for_the_tasks_and_writes_the_outputs(piped_ups):
    run = piped_ups[0]
    written = json.loads(run.outputs.read_text())
    assert (
        f"service    {written['cluster_name']}/{written['service_name']}: desired 3, "
        "running 3, pending 0, rollout COMPLETED" in run.stdout
    )
    assert "verdict    converged" in run.stdout
    assert "aws:ecs/service:Service  web-service" in run.stdout  # the resource tree
    assert written["url"] in run.stdout
    assert f"outputs written to {run.outputs}" in run.stdout
    # The deployed state is kept beside the outputs file, not in the project's .localcloud/.
    state = json.loads((run.outputs.parent / f"state-{run.port}.json").read_text())
    assert len(state["resources"]) > 40
    assert not (PROJECT / ".localcloud" / f"state-{run.port}.json").exists()
    # The endpoints file next to the outputs went with the emulator.
    assert not (run.outputs.parent / f"endpoints-{run.port}.json").exists()


@pytest.mark.parametrize("run_number", [0, 1])
def test_piped_up_prints_at_once_and_keeps_tokens_whole(piped_ups, run_number):
    run = piped_ups[run_number]
    assert run.returncode in (0, None), run.stderr  # None: still serving
    # The first line comes before the emulator serves and before the deploy starts.
    assert run.first_line == f"starting the local cloud on 127.0.0.1:{run.port} ...\n"
    lines = run.rest.splitlines()
    serving = lines.index(f"local cloud serving AWS APIs at http://127.0.0.1:{run.port}")
    deploying = next(i for i, line in enumerate(lines) if line.startswith("deploying "))
    assert lines[serving + 1] == "runtime  simulated (asked for; no containers run)"
    before_deploy = ("local ECR: ", "demo image ", "no demo image: ", "tasks are simulated ")
    assert serving + 1 < deploying
    assert all(line.startswith(before_deploy) for line in lines[serving + 2 : deploying])
    print(f"first line after {run.first_line_s:.2f} s")  # the measured figure
    # The summary lists the local URL of the stack's ALB listener.
    listener = [line.strip() for line in lines if line.strip().startswith("listener ")]
    assert len(listener) == 1
    assert re.fullmatch(
        r"listener +http://127\.0\.0\.1:\d+  \(local load balancer: "
        r"[a-z0-9-]+\.us-east-1\.elb\.amazonaws\.com:80\)",
        listener[0],
    ), listener
    written = json.loads(run.outputs.read_text())
    tokens = [s for s in strings_in(written) if s.startswith(("arn:", "vpc-", "subnet-"))]
    assert len(tokens) >= 8
    split = [token for token in tokens if not any(token in line for line in lines)]
    assert split == []  # each ARN and id whole on one line, though COLUMNS=80


def test_piped_up_prints_the_resource_tree_in_the_same_order_every_run(piped_ups):
    trees = [tree_lines(run.stdout) for run in piped_ups]
    assert len(trees[0]) >= 30
    assert trees[0] == trees[1]  # two processes, other desired counts, flags and directories
    # Siblings sorted by type then name: the Network's subnets, in order.
    subnets = [name for type_, name in trees[0] if type_ == "aws:ec2/subnet:Subnet"]
    assert subnets == ["web-private-0", "web-private-1", "web-public-0", "web-public-1"]


def test_the_tree_is_the_same_whatever_order_the_resources_registered_in():
    """Resources register from Pulumi's parallel threads, in another order on each run (and
    each hash seed): every order of the same resources prints the same tree."""
    resources = run_program(STACK, AwsLikeMocks()).resources
    ids = {(r.type_, r.name): f"id-{i}" for i, r in enumerate(resources)}

    def printed(order: list[Any]) -> str:
        console = Console(file=io.StringIO(), width=200, record=True)
        console.print(resource_tree("localstack", order, ids))
        return console.export_text()

    expected = printed(resources)
    assert expected.count("\n") == len(resources) + 1  # every resource, under the stack
    shuffle = random.Random(8).shuffle
    for _ in range(5):
        order = list(resources)
        shuffle(order)
        assert printed(order) == expected


def test_each_emulator_owns_its_outputs_file(piped_ups):
    """The serving ``up``'s outputs file is its own: another ``up`` is refused it, ``fault``
    and the printed reconciler command find it, and once the owner is gone only an ``up``
    that converged may replace it."""
    serving = piped_ups[1]
    server, serving_port, other_port = serving.process, serving.port, free_port()
    workdir = serving.outputs.parents[1]  # the serving `up` ran there
    serving_outputs = Path(".localcloud") / f"outputs-{serving_port}.json"
    endpoint = f"http://127.0.0.1:{serving_port}"
    try:
        lines = serving.rest.splitlines()
        serving_at = next(i for i, line in enumerate(lines) if "serving until Ctrl-C" in line)
        summary, hints = lines[: serving_at + 1], lines[serving_at + 1 :]
        check_command = (
            "AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test python -m reconciler check "
            f"--outputs {serving_outputs} --endpoint-url {endpoint}"
        )
        assert any(line.split() == ["check", *check_command.split()] for line in summary)
        assert hints[-1].strip() == check_command
        owned = (workdir / serving_outputs).read_bytes()
        owner = json.loads((workdir / serving_outputs.with_suffix(".owner.json")).read_text())
        assert owner == {"pid": server.pid, "port": serving_port, "endpoint": endpoint}

        # The printed command works as printed (from the same directory, no AWS variables set).
        words = shlex.split(check_command)
        variables, rest = words[:2], words[3:]
        assert words[2] == "python"
        bare = {k: v for k, v in cli_env().items() if not k.startswith("AWS_")}
        check = PRELOADED.run(
            rest, cwd=workdir, env={**bare, **dict(v.split("=", 1) for v in variables)}
        )
        assert check.returncode == 0, check.stdout + check.stderr

        # Another `up` may not take the serving emulator's file: refused before deploying.
        refused = localcloud(
            "up", "--port", str(other_port), "--stack-config", STACK,
            "--outputs", str(serving_outputs), cwd=workdir,
        )  # fmt: skip
        assert refused.returncode == 1
        assert refused.stderr == (
            f"localcloud: error: --outputs {serving_outputs} belongs to the emulator serving at "
            f"{endpoint} (pid {server.pid}); stop it, or leave --outputs out to use "
            f".localcloud/outputs-{other_port}.json\n"
        )
        assert "deploying" not in refused.stdout
        assert (workdir / serving_outputs).read_bytes() == owned

        # `fault --port` finds that emulator's file: cluster and service come from it.
        armed = localcloud("fault", "crash-loop", "--port", str(serving_port), cwd=workdir)
        assert armed.returncode == 0, armed.stderr
        listed = localcloud("fault", "list", "--endpoint", endpoint, cwd=workdir)
        assert json.loads(listed.stdout) == [
            {
                "fault": "crash-loop",
                "cluster": "web-localstack",
                "service": "web",
                "reason": "Essential container in task exited",
            }
        ]
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    assert server.returncode == 0, server.stderr.read()
    assert_port_free(serving_port)
    # The endpoints file next to the outputs went with the emulator.
    assert not (workdir / ".localcloud" / f"endpoints-{serving_port}.json").exists()

    # Its owner gone, the file may be rewritten, but only by an `up` that converged.
    failed = localcloud(
        "up", "--port", str(other_port), "--stack-config", STACK, "--task-start-delay", "5",
        "--timeout", "0.5", "--outputs", str(serving_outputs), cwd=workdir,
    )  # fmt: skip
    assert failed.returncode == 1
    assert failed.stderr.startswith("localcloud: error: not converged after 0.5 s: ")
    assert failed.stderr.count("\n") == 1
    assert (workdir / serving_outputs).read_bytes() == owned
    assert not (workdir / ".localcloud" / f"outputs-{other_port}.json").exists()
    assert_port_free(other_port)
