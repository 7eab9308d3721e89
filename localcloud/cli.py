"""``python -m localcloud up|serve|fault``: the local cloud from the command line.

- ``up``: start the emulator, deploy the stack (emulated ``pulumi up``), wait until every task
  runs, print the resource tree, the outputs and a summary, write the outputs JSON; exit 0.
  ``--serve`` keeps the emulator serving until Ctrl-C.
- ``serve``: only the emulator (with its scheduler), until Ctrl-C.
- ``fault NAME``: arm a fault in a running emulator (``up --serve`` or ``serve``), or ``list`` /
  ``clear`` them.

Errors are one line on stderr, ``localcloud: error: ...``: exit 2 for bad usage or config,
1 for a failure at run time (busy port, deploy error, tasks not running in time, emulator crash).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from localcloud.errors import ConfigError, LocalCloudError
from localcloud.faults import FAULT_NAMES, UNHEALTHY_REASONS

DEFAULT_STACK_CONFIG = "stacks/Pulumi.localstack.yaml"
DEFAULT_OUTPUTS = ".localcloud/outputs.json"
DEFAULT_PORT = 4566


class UsageError(ConfigError):
    """Bad flags: exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    try:
        args = _parser().parse_args(argv)
        return int(args.run(args) or 0)
    except ConfigError as exc:
        print(f"localcloud: error: {exc}", file=sys.stderr)
        return 2
    except LocalCloudError as exc:
        print(f"localcloud: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("localcloud: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: still one line, unless debugging
        if os.environ.get("LOCALCLOUD_DEBUG"):
            raise
        first_line = (str(exc).strip().splitlines() or [""])[0]
        print(
            f"localcloud: error: unexpected {type(exc).__name__}: {first_line} "
            "(LOCALCLOUD_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="localcloud",
        description="A local AWS cloud (moto + a simulated ECS scheduler + faults) for the "
        "FargateApp: deploy into it (up), serve it (serve), break it (fault).",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    up = commands.add_parser("up", help="deploy the stack into the emulator and wait for its tasks")
    _emulator_flags(up)
    up.add_argument("--stack-config", default=DEFAULT_STACK_CONFIG, help="Pulumi.<stack>.yaml")
    up.add_argument("--outputs", default=DEFAULT_OUTPUTS, help="where to write the outputs JSON")
    up.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a stack config key, value in YAML (repeatable), "
        "e.g. fargate-app:desiredCount=3",
    )
    up.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the tasks")
    up.add_argument("--serve", action="store_true", help="keep serving until Ctrl-C")
    up.set_defaults(run=_up)

    serve = commands.add_parser("serve", help="run the emulator until Ctrl-C")
    _emulator_flags(serve)
    serve.set_defaults(run=_serve)

    fault = commands.add_parser("fault", help="arm a fault in a running emulator")
    fault.add_argument(
        "name",
        help=f"one of {', '.join(FAULT_NAMES)}, or list, clear",
    )
    fault.add_argument("--endpoint", help="emulator URL (default: $LOCALSTACK_ENDPOINT, "
                       "$AWS_ENDPOINT_URL or http://127.0.0.1:4566)")  # fmt: skip
    fault.add_argument("--outputs", default=DEFAULT_OUTPUTS,
                       help="outputs JSON giving cluster, service and target group")  # fmt: skip
    fault.add_argument("--cluster")
    fault.add_argument("--service")
    fault.add_argument("--reason", help="crash-loop stoppedReason or unhealthy-targets reason")
    fault.add_argument("--desired-count", type=int, help="out-of-band-scale: the new count")
    fault.add_argument("--target-group-arn")
    fault.add_argument("--count", type=int, default=1, help="unhealthy-targets: how many")
    fault.add_argument("--fraction", type=float, help="throttle: share of calls, 0 to 1")
    fault.add_argument("--services", default="ecs,elbv2", help="throttle: comma-separated")
    fault.set_defaults(run=_fault)
    return parser


def _emulator_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="default 4566")
    parser.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument(
        "--task-start-delay", type=float, default=1.0, help="seconds a task stays PENDING"
    )
    parser.add_argument("--tick-interval", type=float, default=0.5, help="scheduler period")


# -- up --------------------------------------------------------------------------------------------


def _up(args: argparse.Namespace) -> int:
    from rich.console import Console

    from localcloud.deploy import deploy, write_outputs
    from localcloud.deploy.report import outputs_table, resource_tree
    from localcloud.summary import print_summary, wait_for_tasks

    stack_config = Path(args.stack_config)
    if not stack_config.is_file():
        raise UsageError(f"--stack-config {stack_config}: no such file")
    overrides = _config_overrides(args.config)
    console = Console(highlight=False)
    started = time.monotonic()
    with _started_cloud(args) as cloud:
        console.print(f"[bold]local cloud[/] serving AWS APIs at {cloud.endpoint_url}")
        console.print(f"deploying [bold]{stack_config}[/] (emulated pulumi up)")
        result = deploy(
            cloud,
            stack_config,
            config=overrides,
            show_progress=True,
            console=console,
        )
        console.print(resource_tree(result.stack, result.resources, result.ids))
        console.print(outputs_table(result.outputs))
        path = write_outputs(result.outputs, args.outputs)
        console.print(f"outputs written to {path} (the shape of `pulumi stack output --json`)")
        services = wait_for_tasks(cloud, result.outputs, timeout=args.timeout)
        print_summary(console, cloud, result, services, path, time.monotonic() - started)
        if args.serve:
            _print_how_to_reach(console, cloud, path)
            _serve_until_interrupted(cloud, console)
    return 0


def _config_overrides(pairs: list[str]) -> dict[str, Any]:
    """``--config key=value`` flags as a config dict (values parsed as YAML)."""
    import yaml

    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, separator, raw = pair.partition("=")
        if not separator or ":" not in key:
            raise UsageError(
                f"--config {pair}: expected KEY=VALUE with a namespaced key, "
                "e.g. fargate-app:desiredCount=3"
            )
        try:
            overrides[key.strip()] = yaml.safe_load(raw)
        except yaml.YAMLError:
            raise UsageError(f"--config {pair}: the value is not valid YAML") from None
    return overrides


def _print_how_to_reach(console: Any, cloud: Any, outputs: Path | None) -> None:
    endpoint = cloud.endpoint_url
    lines = [
        f"  export AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID=test "
        f"AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION={cloud.region}",
        "  aws ecs list-clusters            # any AWS CLI or boto3 call",
    ]
    if outputs is not None:
        lines += [
            f"  python -m reconciler check --outputs {outputs} --endpoint-url {endpoint}",
            "  python -m localcloud fault crash-loop   # or capacity-shortage, throttle, ...",
        ]
    else:
        lines.append(f"  python -m localcloud fault list --endpoint {endpoint}")
    console.print("\n[bold]serving until Ctrl-C[/]. Reach the emulator with:")
    for line in lines:
        console.print(line, soft_wrap=True, markup=False)


# -- serve -----------------------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    from rich.console import Console

    console = Console(highlight=False)
    with _started_cloud(args) as cloud:
        console.print(f"[bold]local cloud[/] serving AWS APIs at {cloud.endpoint_url}")
        _print_how_to_reach(console, cloud, None)
        _serve_until_interrupted(cloud, console)
    return 0


@contextmanager
def _started_cloud(args: argparse.Namespace) -> Iterator[Any]:
    """A LocalCloud started from the CLI flags, stopped on the way out whatever happens."""
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is out of range; use 0 to 65535")
    if args.task_start_delay < 0 or args.tick_interval <= 0:
        raise UsageError("--task-start-delay must be >= 0 and --tick-interval > 0")
    from localcloud.cloud import LocalCloud

    cloud = LocalCloud(
        port=args.port,
        host=args.host,
        region=args.region,
        task_start_delay=args.task_start_delay,
        tick_interval=args.tick_interval,
    )
    cloud.start()
    try:
        yield cloud
    finally:
        cloud.stop()


def _serve_until_interrupted(cloud: Any, console: Any) -> None:
    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    # Both explicitly: a background job starts with SIGINT ignored, and Ctrl-C must still work.
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while cloud.running:
            time.sleep(0.5)
        raise LocalCloudError("the emulator stopped unexpectedly; see the log above")
    except KeyboardInterrupt:
        console.print("stopping the local cloud")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# -- fault -----------------------------------------------------------------------------------------


def _fault(args: argparse.Namespace) -> int:
    from localcloud.remote import RemoteCloud, configured_endpoint

    name = args.name
    if name not in (*FAULT_NAMES, "list", "clear"):
        raise UsageError(
            f"fault '{name}' is unknown; use one of {', '.join(FAULT_NAMES)}, list, clear"
        )
    fault_args = _fault_args(name, args) if name in FAULT_NAMES else {}
    configured = configured_endpoint()
    endpoint = args.endpoint or (
        configured[1] if configured else f"http://127.0.0.1:{DEFAULT_PORT}"
    )
    cloud = RemoteCloud(endpoint)
    if cloud.faults is None:
        raise LocalCloudError(f"{endpoint} is not a local cloud emulator (no fault injection)")
    if name == "clear":
        cloud.faults.clear()
        print("all faults cleared")
        return 0
    armed = cloud.faults.active() if name == "list" else cloud.faults.apply(name, fault_args)
    print(json.dumps(armed, indent=2))
    return 0


def _fault_args(name: str, args: argparse.Namespace) -> dict[str, Any]:
    if name == "throttle":
        if args.fraction is None:
            raise UsageError("throttle needs --fraction (0 to 1)")
        services = [s.strip() for s in args.services.split(",") if s.strip()]
        return {"fraction": args.fraction, "services": services}
    reconcile = _reconcile_entry(args.outputs)
    if name == "unhealthy-targets":
        arn = args.target_group_arn or reconcile.get("target_group_arn")
        if not arn:
            raise UsageError(f"unhealthy-targets needs --target-group-arn (or {args.outputs})")
        reason = args.reason or "Target.ResponseCodeMismatch"
        if reason not in UNHEALTHY_REASONS:
            raise UsageError(
                f"--reason {reason} is unknown; use one of {', '.join(UNHEALTHY_REASONS)}"
            )
        return {"target_group_arn": arn, "count": args.count, "reason": reason}
    cluster = args.cluster or reconcile.get("cluster")
    service = args.service or reconcile.get("service")
    if not cluster or not service:
        raise UsageError(f"{name} needs --cluster and --service (or a deploy's {args.outputs})")
    fault_args: dict[str, Any] = {"cluster": cluster, "service": service}
    if name == "crash-loop" and args.reason:
        fault_args["reason"] = args.reason
    if name == "out-of-band-scale":
        if args.desired_count is None:
            raise UsageError("out-of-band-scale needs --desired-count")
        fault_args["desired_count"] = args.desired_count
    return fault_args


def _reconcile_entry(path: str) -> dict[str, Any]:
    """The ``reconcile`` entry of a deploy's outputs file ({} when there is none)."""
    if not os.path.isfile(path):
        return {}
    try:
        entry = json.loads(Path(path).read_text()).get("reconcile") or {}
    except (ValueError, AttributeError):
        raise UsageError(f"--outputs {path}: not an outputs JSON object") from None
    return entry[0] if isinstance(entry, list) and entry else entry
