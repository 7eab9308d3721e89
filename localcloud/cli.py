"""``python -m localcloud up|serve|fault``: the local cloud from the command line.

- ``up``: start the emulator, deploy the stack (emulated ``pulumi up``), wait with the reconciler
  until every declared service converged, print the resource tree, the outputs and a summary,
  then write the outputs JSON (see ``localcloud.outputs``: one file per emulator port); exit 0.
  ``--serve`` keeps the emulator serving until Ctrl-C.
- ``serve``: only the emulator (with its scheduler), until Ctrl-C.
- ``deploy``: deploy the stack again onto a running emulator (``up --serve`` or ``serve``) as an
  update of its state (``localcloud.deploy``): only what changed is changed; then wait with the
  reconciler and write the outputs. ``--preview`` prints the plan and changes nothing.
- ``destroy``: delete everything in the emulator's state, dependents first (``--preview``: the
  plan only).
- ``--runtime auto|docker|simulated`` (``up`` and ``serve``): what runs the tasks' containers
  (``localcloud.ecs.runtime``); ``auto`` (the default, or ``$LOCALCLOUD_RUNTIME``) picks
  docker when a Docker Engine answers and says which it picked and why. Containers go when
  the command ends, on Ctrl-C or SIGTERM.
- ``fault NAME``: arm a fault in a running emulator (``up --serve`` or ``serve``), or ``list`` /
  ``clear`` them.

Errors are one line on stderr, ``localcloud: error: ...``: exit 2 for bad usage or config
(checked before anything starts), 1 for a failure at run time (busy port, outputs file owned by
another emulator, deploy error, a change the local cloud cannot apply, services not converged in
time, unknown service, emulator crash, no emulator at the endpoint).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from clitools import args as cliargs
from localcloud.deploy.context import SERVICE_DRAIN_TIMEOUT_S
from localcloud.ecs.runtime import RUNTIME_CHOICES, choose_runtime
from localcloud.errors import ConfigError, LocalCloudError
from localcloud.faults import FAULT_NAMES, UNHEALTHY_REASONS
from localcloud.outputs import DEFAULT_PORT, default_outputs_path, port_of
from localcloud.ports import bind_listener

DEFAULT_STACK_CONFIG = "stacks/Pulumi.localstack.yaml"
DEFAULT_HOST = "127.0.0.1"
OUTPUTS_HELP = (
    "the outputs JSON (default: the emulator's own file, .localcloud/outputs.json for port "
    f"{DEFAULT_PORT}, .localcloud/outputs-PORT.json for any other port)"
)
#: The environment variable that sets the default of ``--runtime``.
RUNTIME_VARIABLE = "LOCALCLOUD_RUNTIME"
#: Faults that name an ECS service, checked to exist before they are armed.
SERVICE_FAULTS = ("crash-loop", "capacity-shortage", "out-of-band-scale")


class UsageError(ConfigError):
    """Bad flags: exit code 2."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    try:
        args = _parser().parse_args(argv)
        return int(args.run(args) or 0)
    except (ConfigError, cliargs.UsageError) as exc:
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
    parser = cliargs.OneLineParser(
        prog="localcloud",
        description="A local AWS cloud (moto + a simulated ECS scheduler + faults) for the "
        "FargateApp: deploy into it (up), serve it (serve), break it (fault).",
    )
    commands = parser.add_subparsers(
        dest="command", required=True, parser_class=cliargs.OneLineParser
    )

    up = commands.add_parser("up", help="deploy the stack into the emulator and wait for its tasks")
    _emulator_flags(up)
    _stack_flags(up)
    up.add_argument("--serve", action="store_true", help="keep serving until Ctrl-C")
    up.set_defaults(run=_up)

    serve = commands.add_parser("serve", help="run the emulator until Ctrl-C")
    _emulator_flags(serve)
    serve.set_defaults(run=_serve)

    deploy = commands.add_parser(
        "deploy", help="update the stack on a running emulator (only what changed)"
    )
    _endpoint_flags(deploy)
    _stack_flags(deploy)
    deploy.add_argument("--preview", action="store_true", help="print the plan, change nothing")
    deploy.set_defaults(run=_deploy)

    destroy = commands.add_parser("destroy", help="delete every resource of the deployed stack")
    _endpoint_flags(destroy)
    destroy.add_argument("--preview", action="store_true", help="print the plan, change nothing")
    destroy.add_argument(
        "--outputs", help=f"{OUTPUTS_HELP}; the deployed state is the one next to it"
    )
    destroy.add_argument(
        "--timeout",
        type=cliargs.positive_seconds,
        default=SERVICE_DRAIN_TIMEOUT_S,
        help="seconds to wait for a deleted service's tasks to stop",
    )
    destroy.set_defaults(run=_destroy)

    fault = commands.add_parser("fault", help="arm a fault in a running emulator")
    fault.add_argument("name", help=f"one of {', '.join(FAULT_NAMES)}, or list, clear")
    _endpoint_flags(fault)
    fault.add_argument(
        "--outputs", help=f"{OUTPUTS_HELP}, giving cluster, service and target group"
    )
    fault.add_argument("--cluster", help="cluster of the service (default: from --outputs)")
    fault.add_argument("--service", help="service to break (default: from --outputs)")
    fault.add_argument("--reason", help="crash-loop stoppedReason or unhealthy-targets reason")
    fault.add_argument(
        "--desired-count", type=cliargs.count, help="out-of-band-scale: the new count"
    )
    fault.add_argument("--target-group-arn", help="unhealthy-targets: (default: from --outputs)")
    fault.add_argument(
        "--count", type=cliargs.positive, default=1, help="unhealthy-targets: how many"
    )
    fault.add_argument("--fraction", type=cliargs.fraction, help="throttle: share of calls")
    fault.add_argument("--services", default="ecs,elbv2", help="throttle: comma-separated")
    fault.set_defaults(run=_fault)
    return parser


def _stack_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack-config", default=DEFAULT_STACK_CONFIG, help="Pulumi.<stack>.yaml")
    parser.add_argument("--outputs", help=f"where to write {OUTPUTS_HELP}")
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a stack config key, value in YAML (repeatable), "
        "e.g. fargate-app:desiredCount=3",
    )
    parser.add_argument(
        "--timeout",
        type=cliargs.positive_seconds,
        default=60.0,
        help="seconds to wait for the services to converge",
    )


def _endpoint_flags(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--endpoint",
        type=cliargs.endpoint_url,
        help="emulator URL (default: $LOCALSTACK_ENDPOINT, $AWS_ENDPOINT_URL or "
        f"http://{DEFAULT_HOST}:{DEFAULT_PORT})",
    )
    where.add_argument(
        "--port", type=cliargs.port, help=f"the emulator on http://{DEFAULT_HOST}:PORT"
    )


def _endpoint(args: argparse.Namespace) -> str:
    """The emulator URL of ``--endpoint`` / ``--port``, else the environment's, else 4566's."""
    from localcloud.remote import configured_endpoint

    if args.endpoint:
        return args.endpoint
    if args.port is not None:
        return f"http://{DEFAULT_HOST}:{args.port}"
    configured = configured_endpoint()
    return configured[1] if configured else f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"


def _emulator_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=cliargs.port, default=DEFAULT_PORT, help="port to serve on")
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to serve on")
    parser.add_argument("--region", default="us-east-1", help="region of the emulator's clients")
    parser.add_argument(
        "--task-start-delay",
        type=cliargs.seconds,
        default=1.0,
        help="seconds a task stays PENDING",
    )
    parser.add_argument(
        "--tick-interval",
        type=cliargs.positive_seconds,
        default=0.5,
        help="seconds between scheduler steps",
    )
    parser.add_argument(
        "--runtime",
        choices=RUNTIME_CHOICES,
        help="what runs the tasks' containers: docker (real containers), simulated (none), "
        f"auto (docker when a Docker Engine answers; default: ${RUNTIME_VARIABLE} or "
        f"{RUNTIME_CHOICES[0]})",
    )


# -- up --------------------------------------------------------------------------------------------


def _up(args: argparse.Namespace) -> int:
    stack_config = Path(args.stack_config)
    if not stack_config.is_file():
        raise UsageError(f"--stack-config {stack_config}: no such file")
    overrides = _config_overrides(args.config)
    # First, before moto and Pulumi are imported (a second or two): progress from the start.
    print(f"starting the local cloud on {args.host}:{args.port} ...", flush=True)
    started = time.monotonic()

    from clitools.console import output_console
    from localcloud.deploy import deploy
    from localcloud.deploy.report import outputs_table, resource_tree
    from localcloud.deploy.state import state_path_beside
    from localcloud.outputs import Owner, endpoints_path, ensure_writable, write_outputs
    from localcloud.summary import declared_services, print_summary, wait_until_converged

    planned = _planned_outputs(args.outputs, args.port)
    if planned is not None:
        ensure_writable(planned, args.port)
    console = output_console()
    with _started_cloud(args) as cloud:
        path = planned or default_outputs_path(cloud.port)
        ensure_writable(path, cloud.port)
        cloud.load_balancer.write_endpoints_to(endpoints_path(path, cloud.port))
        console.print(f"[bold]local cloud[/] serving AWS APIs at {cloud.endpoint_url}")
        console.print(f"runtime  {cloud.runtime.line()}", markup=False)
        console.print(f"local ECR: {cloud.ecr.status}", markup=False)
        with _demo_image_step(args, cloud, stack_config, overrides, console) as demo:
            console.print(f"deploying [bold]{stack_config}[/] (emulated pulumi up)")
            result = deploy(
                cloud,
                stack_config,
                config=overrides,
                state_path=state_path_beside(path, cloud.port),
                fresh=True,
                show_progress=True,
                console=console,
                on_created=demo.on_created if demo else None,
            )
        console.print(resource_tree(result.stack, result.resources, result.ids))
        console.print(outputs_table(result.outputs))
        declared = declared_services(result.outputs)
        console.print(f"waiting for {len(declared)} service(s) to converge (reconciler wait)")
        sweep = wait_until_converged(cloud, declared, timeout=args.timeout)
        write_outputs(result.outputs, path, Owner(os.getpid(), cloud.port, cloud.endpoint_url))
        console.print(f"outputs written to {path} (the shape of `pulumi stack output --json`)")
        print_summary(console, cloud, result, sweep, path, time.monotonic() - started)
        if args.serve:
            _serve_until_interrupted(
                cloud, console, lambda: _print_how_to_reach(console, cloud, path)
            )
    return 0


def _demo_image_step(
    args: argparse.Namespace,
    cloud: Any,
    stack_config: Path,
    overrides: dict[str, Any],
    console: Any,
) -> Any:
    """Prepare the image before the deploy: the demo app, when tasks run as containers."""
    from localcloud.demo.step import demo_image_step

    return demo_image_step(cloud, stack_config, overrides, console)


def _planned_outputs(outputs: str | None, port: int) -> Path | None:
    """The outputs file ``up`` will write, when it is known before the emulator starts."""
    if outputs:
        return Path(outputs)
    return default_outputs_path(port) if port else None  # port 0: known once bound


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
    fault_target = "" if cloud.port == DEFAULT_PORT else f" --endpoint {endpoint}"
    lines = [
        f"  export AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID=test "
        f"AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION={cloud.region}",
        "  aws ecs list-clusters            # any AWS CLI or boto3 call",
    ]
    if outputs is not None:
        from localcloud.summary import reconciler_command

        lines += [
            f"  {reconciler_command(outputs, endpoint)}",
            f"  python -m localcloud fault crash-loop{fault_target}   # or capacity-shortage, ...",
        ]
    else:
        lines.append(f"  python -m localcloud fault list --endpoint {endpoint}")
    console.print("\n[bold]serving until Ctrl-C[/]. Reach the emulator with:")
    for line in lines:
        console.print(line, soft_wrap=True, markup=False)


# -- serve -----------------------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    from clitools.console import output_console
    from localcloud.outputs import endpoints_path

    console = output_console()
    with _started_cloud(args) as cloud:
        outputs = default_outputs_path(cloud.port)
        cloud.load_balancer.write_endpoints_to(endpoints_path(outputs, cloud.port))
        console.print(f"[bold]local cloud[/] serving AWS APIs at {cloud.endpoint_url}")
        console.print(f"runtime  {cloud.runtime.line()}", markup=False)
        console.print(f"local ECR: {cloud.ecr.status}", markup=False)
        _serve_until_interrupted(cloud, console, lambda: _print_how_to_reach(console, cloud, None))
    return 0


@contextmanager
def _started_cloud(args: argparse.Namespace) -> Iterator[Any]:
    """A LocalCloud started from the CLI flags, stopped on the way out whatever happens
    (SIGTERM too: it interrupts like Ctrl-C, so the task runtime's containers go)."""
    runtime = _runtime(args.runtime)
    if args.port:  # a busy port is told before moto loads (seconds), then bound for real
        bind_listener(args.host, args.port).close()
    if runtime == "docker":  # and so is a missing daemon (LocalCloud.start asks again)
        choose_runtime(runtime)
    from localcloud.cloud import LocalCloud

    cloud = LocalCloud(
        port=args.port,
        host=args.host,
        region=args.region,
        task_start_delay=args.task_start_delay,
        tick_interval=args.tick_interval,
        runtime=runtime,
    )
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        cloud.start()
        yield cloud
    finally:
        cloud.stop()
        signal.signal(signal.SIGTERM, previous)


def _runtime(flag: str | None) -> str:
    """``--runtime``, else ``$LOCALCLOUD_RUNTIME``, else ``auto``."""
    if flag:
        return flag
    value = os.environ.get(RUNTIME_VARIABLE) or RUNTIME_CHOICES[0]
    if value not in RUNTIME_CHOICES:
        raise UsageError(f"{RUNTIME_VARIABLE}={value}: use one of {', '.join(RUNTIME_CHOICES)}")
    return value


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _serve_until_interrupted(cloud: Any, console: Any, announce: Callable[[], None]) -> None:
    """``announce`` how to reach the cloud, then serve until Ctrl-C or SIGTERM (handled from
    before the announcement, so an interrupt right after it still stops cleanly)."""
    # Both explicitly: a background job starts with SIGINT ignored, and Ctrl-C must still work.
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        announce()
        while cloud.running:
            time.sleep(0.5)
        raise LocalCloudError("the emulator stopped unexpectedly; see the log above")
    except KeyboardInterrupt:
        console.print("stopping the local cloud")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# -- deploy, destroy ---------------------------------------------------------------------------


def _deploy(args: argparse.Namespace) -> int:
    stack_config = Path(args.stack_config)
    if not stack_config.is_file():
        raise UsageError(f"--stack-config {stack_config}: no such file")
    overrides = _config_overrides(args.config)
    endpoint = _endpoint(args)

    from clitools.console import output_console
    from localcloud.deploy import deploy
    from localcloud.deploy.state import state_path_beside
    from localcloud.outputs import Owner, ensure_writable, read_owner, write_outputs
    from localcloud.remote import RemoteCloud
    from localcloud.summary import declared_services, wait_until_converged

    path = Path(args.outputs) if args.outputs else default_outputs_path(port_of(endpoint))
    ensure_writable(path, port_of(endpoint))
    cloud = RemoteCloud(endpoint)
    console = output_console()
    console.print(f"updating [bold]{stack_config}[/] on {endpoint} (emulated pulumi up)")
    result = deploy(
        cloud,
        stack_config,
        config=overrides,
        state_path=state_path_beside(path, port_of(endpoint)),
        preview=args.preview,
        show_progress=not args.preview,
        console=console,
    )
    console.print(result.plan.render("update"), markup=False, highlight=False)
    if args.preview:
        return 0
    owner = read_owner(path)
    if owner is None or owner.port != port_of(endpoint):
        owner = Owner(os.getpid(), port_of(endpoint), endpoint)
    write_outputs(result.outputs, path, owner)
    console.print(f"state saved to {result.state_path}; outputs written to {path}")
    declared = declared_services(result.outputs)
    console.print(f"waiting for {len(declared)} service(s) to converge (reconciler wait)")
    wait_until_converged(cloud, declared, timeout=args.timeout)
    console.print(f"converged; the update took {result.seconds:.1f} s")
    return 0


def _destroy(args: argparse.Namespace) -> int:
    endpoint = _endpoint(args)

    from clitools.console import output_console
    from localcloud.deploy import destroy
    from localcloud.deploy.state import state_path_beside
    from localcloud.remote import RemoteCloud

    port = port_of(endpoint)
    outputs = Path(args.outputs) if args.outputs else default_outputs_path(port)
    console = output_console()
    result = destroy(
        RemoteCloud(endpoint),
        state_path=state_path_beside(outputs, port),
        preview=args.preview,
        service_drain_timeout=args.timeout,
    )
    console.print(result.plan.render("destroy"), markup=False, highlight=False)
    if not args.preview:
        console.print(
            f"deleted {len(result.plan.changes)} resources in {result.seconds:.1f} s; "
            f"the state {result.state_path} is empty"
        )
    return 0


# -- fault -----------------------------------------------------------------------------------------


def _fault(args: argparse.Namespace) -> int:
    from localcloud.remote import RemoteCloud

    name = args.name
    if name not in (*FAULT_NAMES, "list", "clear"):
        raise UsageError(
            f"fault '{name}' is unknown; use one of {', '.join(FAULT_NAMES)}, list, clear"
        )
    endpoint = _endpoint(args)
    outputs = Path(args.outputs) if args.outputs else default_outputs_path(port_of(endpoint))
    fault_args = _fault_args(name, args, outputs) if name in FAULT_NAMES else {}
    cloud = RemoteCloud(endpoint)
    if cloud.faults is None:
        raise LocalCloudError(f"{endpoint} is not a local cloud emulator (no fault injection)")
    if name == "clear":
        cloud.faults.clear()
        print("all faults cleared")
        return 0
    if name in SERVICE_FAULTS:
        _require_service(cloud, fault_args["cluster"], fault_args["service"])
    armed = cloud.faults.active() if name == "list" else cloud.faults.apply(name, fault_args)
    print(json.dumps(armed, indent=2))
    return 0


def _fault_args(name: str, args: argparse.Namespace, outputs: Path) -> dict[str, Any]:
    if name == "throttle":
        if args.fraction is None:
            raise UsageError("throttle needs --fraction (0 to 1)")
        services = [s.strip() for s in args.services.split(",") if s.strip()]
        return {"fraction": args.fraction, "services": services}
    reconcile = _reconcile_entry(outputs)
    if name == "unhealthy-targets":
        arn = args.target_group_arn or reconcile.get("target_group_arn")
        if not arn:
            raise UsageError(f"unhealthy-targets needs --target-group-arn (or {outputs})")
        reason = args.reason or "Target.ResponseCodeMismatch"
        if reason not in UNHEALTHY_REASONS:
            raise UsageError(
                f"--reason {reason} is unknown; use one of {', '.join(UNHEALTHY_REASONS)}"
            )
        return {"target_group_arn": arn, "count": args.count, "reason": reason}
    cluster = args.cluster or reconcile.get("cluster")
    service = args.service or reconcile.get("service")
    if not cluster or not service:
        raise UsageError(f"{name} needs --cluster and --service (or a deploy's {outputs})")
    fault_args: dict[str, Any] = {"cluster": cluster, "service": service}
    if name == "crash-loop" and args.reason:
        fault_args["reason"] = args.reason
    if name == "out-of-band-scale":
        if args.desired_count is None:
            raise UsageError("out-of-band-scale needs --desired-count")
        fault_args["desired_count"] = args.desired_count
    return fault_args


def _reconcile_entry(path: Path) -> dict[str, Any]:
    """The first ``reconcile`` entry of a deploy's outputs file ({} when there is no file)."""
    from contract import ContractError, parse_reconcile

    if not path.is_file():
        return {}
    try:
        document = json.loads(path.read_text())
    except ValueError:
        raise UsageError(f"--outputs {path}: not valid JSON") from None
    try:
        return dict(parse_reconcile(document, source=f"--outputs {path}")[0])
    except ContractError as exc:
        raise UsageError(str(exc)) from None


def _require_service(cloud: Any, cluster: str, service: str) -> None:
    """Raise ``LocalCloudError`` unless *cluster* has an ACTIVE *service* (DescribeServices)."""
    from botocore.exceptions import ClientError

    try:
        found = cloud.client("ecs").describe_services(cluster=cluster, services=[service])
    except ClientError:  # ClusterNotFoundException
        found = {"services": []}
    if not any(s.get("status") == "ACTIVE" for s in found.get("services", [])):
        raise LocalCloudError(f"service '{service}' not found in cluster '{cluster}'")
