"""Command line: `reconciler check|wait|watch|heal` (also `python -m reconciler`)."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Sequence
from typing import Any

from rich.console import Console

from clitools import args as cliargs
from clitools.console import output_console
from contract import MANAGED_BY_TAG
from reconciler import desired
from reconciler.aws import DEFAULT_MAX_ATTEMPTS, AwsTarget, ClientFactory, access_error
from reconciler.errors import (
    EXIT_CONVERGED,
    EXIT_NOT_CONVERGED,
    ConfigError,
    ReconcilerError,
)
from reconciler.heal import apply_heal, plan_heal
from reconciler.metrics import Metrics
from reconciler.model import DeclaredService, SweepResult
from reconciler.render import print_failure_details, print_heal, print_result
from reconciler.sweep import DEFAULT_WORKERS, sweep
from reconciler.verdict import DEFAULT_CRASH_LOOP_THRESHOLD
from reconciler.wait import PollPolicy, WaitState, wait_for_convergence
from reconciler.watch import watch

PROG = "reconciler"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    out, err = output_console(), output_console(stderr=True)
    try:
        args = build_parser().parse_args(argv)
        return _COMMANDS[args.command](args, out, err)
    except cliargs.UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return ConfigError.exit_code
    except ReconcilerError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (subcommands share the source, endpoint and output options)."""
    common = cliargs.OneLineParser(add_help=False)
    source = common.add_argument_group("desired state (pick one)")
    source.add_argument(
        "--outputs", metavar="FILE", help="JSON of `pulumi stack output --json` (uses `reconcile`)"
    )
    source.add_argument(
        "--stack", metavar="NAME", help="run `pulumi stack output --json --stack NAME`"
    )
    source.add_argument("--cluster", metavar="C", help="cluster of --service, or of --discover")
    source.add_argument(
        "--service", metavar="S", help="service name (with --cluster and --desired)"
    )
    source.add_argument("--desired", metavar="N", type=cliargs.count, help="declared desired count")
    source.add_argument("--min", metavar="N", type=cliargs.count, help="autoscaling minimum")
    source.add_argument("--max", metavar="N", type=cliargs.count, help="autoscaling maximum")
    source.add_argument("--target-group-arn", metavar="ARN", help="target group of --service")
    source.add_argument(
        "--discover",
        action="store_true",
        help="services of --cluster tagged managed-by=fargate-app",
    )
    where = common.add_argument_group("where")
    where.add_argument(
        "--endpoint-url",
        metavar="URL",
        type=cliargs.endpoint_url,
        help="AWS endpoint (an emulator, a VPC endpoint), e.g. http://127.0.0.1:4566",
    )
    where.add_argument(
        "--localstack",
        action="store_true",
        help="use localstack-client's endpoint (LOCALSTACK_HOST or localhost:4566)",
    )
    where.add_argument(
        "--localstack-host",
        metavar="HOST:PORT",
        help="LocalStack edge address (implies --localstack)",
    )
    where.add_argument("--region", help="region when the declaration names none")
    where.add_argument(
        "--max-attempts",
        metavar="N",
        type=cliargs.positive,
        default=DEFAULT_MAX_ATTEMPTS,
        help="attempts per API call, adaptive retry mode",
    )
    tuning = common.add_argument_group("output and tuning")
    tuning.add_argument("--json", action="store_true", help="print JSON instead of tables")
    tuning.add_argument(
        "--crash-loop-threshold",
        metavar="N",
        type=cliargs.positive,
        default=DEFAULT_CRASH_LOOP_THRESHOLD,
        help="failed tasks that make a crash loop",
    )
    tuning.add_argument(
        "--workers",
        metavar="N",
        type=cliargs.positive,
        default=DEFAULT_WORKERS,
        help="concurrent API calls per sweep",
    )

    parser = cliargs.OneLineParser(
        prog=PROG,
        description="Check, wait for, watch and heal the task counts of FargateApp services.",
    )
    sub = parser.add_subparsers(
        dest="command",
        required=True,
        metavar="{check,wait,watch,heal}",
        parser_class=cliargs.OneLineParser,
    )
    sub.add_parser("check", parents=[common], help="one sweep: a table or --json")
    wait = sub.add_parser(
        "wait", parents=[common], help="poll until converged, fail fast on failure"
    )
    wait.add_argument(
        "--timeout", metavar="S", type=cliargs.seconds, default=600.0, help="seconds to wait"
    )
    wait.add_argument(
        "--poll-max",
        metavar="S",
        type=cliargs.positive_seconds,
        default=10.0,
        help="longest pause between polls",
    )
    watch_p = sub.add_parser("watch", parents=[common], help="sweep forever, log transitions")
    watch_p.add_argument(
        "--interval",
        metavar="S",
        type=cliargs.positive_seconds,
        default=30.0,
        help="seconds between sweeps",
    )
    watch_p.add_argument("--heal", action="store_true", help="heal drift after each sweep")
    watch_p.add_argument(
        "--metrics-port", metavar="P", type=cliargs.port, help="serve Prometheus metrics"
    )
    watch_p.add_argument(
        "--metrics-addr", metavar="ADDR", default="0.0.0.0", help="address of the metrics server"
    )
    watch_p.add_argument(
        "--iterations", metavar="N", type=cliargs.positive, help="stop after N sweeps"
    )
    heal = sub.add_parser("heal", parents=[common], help="UpdateService drifted services")
    heal.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    return parser


def load_declared(args: argparse.Namespace, clients: ClientFactory) -> list[DeclaredService]:
    """The declared services from whichever single source the flags name."""
    flags = args.service is not None or args.desired is not None
    chosen = [
        name
        for name, present in (
            ("--outputs", args.outputs is not None),
            ("--stack", args.stack is not None),
            ("--service/--desired", flags),
            ("--discover", args.discover),
        )
        if present
    ]
    if not chosen:
        raise ConfigError(
            "no desired state: pass --outputs FILE, --stack NAME, "
            "--cluster C --service S --desired N, or --discover --cluster C"
        )
    if len(chosen) > 1:
        raise ConfigError(f"pick one desired-state source, got {' and '.join(chosen)}")
    if (args.min is not None or args.max is not None) and not flags:
        raise ConfigError("--min/--max go with --cluster --service --desired")
    if args.outputs is not None:
        return desired.from_outputs_file(args.outputs)
    if args.stack is not None:
        return desired.from_stack(args.stack)
    if args.discover:
        if not args.cluster:
            raise ConfigError("--discover needs --cluster C")
        return _discover(args, clients)
    for flag, value in (
        ("--cluster", args.cluster),
        ("--service", args.service),
        ("--desired", args.desired),
    ):
        if value is None:
            raise ConfigError(f"{flag} is missing; --cluster, --service and --desired go together")
    return desired.from_flags(
        args.cluster,
        args.service,
        args.desired,
        args.min,
        args.max,
        target_group_arn=args.target_group_arn,
    )


def _discover(args: argparse.Namespace, clients: ClientFactory) -> list[DeclaredService]:
    try:
        found = desired.discover(
            clients.client("ecs"),
            args.cluster,
            autoscaling=clients.client("application-autoscaling"),
        )
    except Exception as exc:
        error = access_error(
            exc,
            operation="discover",
            endpoint=clients.endpoint("ecs"),
            max_attempts=clients.target.max_attempts,
        )
        if error is None:
            raise
        raise error from None
    if not found:
        raise ConfigError(
            f"--discover --cluster {args.cluster}: no service tagged "
            f"{MANAGED_BY_TAG[0]}={MANAGED_BY_TAG[1]} in that cluster"
        )
    return found


def _clients(args: argparse.Namespace) -> ClientFactory:
    if args.endpoint_url and (args.localstack or args.localstack_host):
        raise ConfigError("--endpoint-url and --localstack are exclusive; pick one endpoint")
    return ClientFactory(
        AwsTarget(
            endpoint_url=args.endpoint_url,
            localstack=bool(args.localstack or args.localstack_host),
            localstack_host=args.localstack_host,
            region=args.region,
            max_attempts=args.max_attempts,
        )
    )


def _setup(args: argparse.Namespace) -> tuple[ClientFactory, list[DeclaredService]]:
    clients = _clients(args)
    return clients, load_declared(args, clients)


def _check(args: argparse.Namespace, out: Console, err: Console) -> int:
    clients, declared = _setup(args)
    result = sweep(
        declared, clients, crash_loop_threshold=args.crash_loop_threshold, max_workers=args.workers
    )
    if args.json:
        _print_json(result.to_dict())
    else:
        print_result(out, result)
    return EXIT_CONVERGED if result.converged else EXIT_NOT_CONVERGED


def _wait(args: argparse.Namespace, out: Console, err: Console) -> int:
    clients, declared = _setup(args)

    def progress(poll: int, result: SweepResult | None, error: str | None, pause: float) -> None:
        if result is not None:
            ok = sum(v.converged for v in result.verdicts)
            state = f"{ok}/{len(result.verdicts)} converged"
        else:
            state = f"poll failed: {error}"
        err.print(f"poll {poll}: {state}; next poll in {pause:.1f}s")

    outcome = wait_for_convergence(
        declared,
        clients,
        timeout=args.timeout,
        policy=PollPolicy(maximum=args.poll_max),
        crash_loop_threshold=args.crash_loop_threshold,
        on_poll=progress,
    )
    result = outcome.result
    assert result is not None  # wait_for_convergence raises when no poll ever succeeded
    if args.json:
        doc = result.to_dict()
        doc["api_calls"] = dict(sorted(outcome.api_calls.items()))
        doc["wait"] = {
            "state": outcome.state.value,
            "polls": outcome.polls,
            "elapsed_s": round(outcome.elapsed_s, 3),
        }
        _print_json(doc)
    else:
        print_result(out, result)
        if outcome.state is WaitState.FAILED:
            print_failure_details(out, result.verdicts)
    summary = {
        WaitState.CONVERGED: f"converged after {outcome.polls} polls in {outcome.elapsed_s:.1f}s",
        WaitState.FAILED: f"failed fast at poll {outcome.polls} after {outcome.elapsed_s:.1f}s",
        WaitState.TIMEOUT: f"timed out after {args.timeout:g}s and {outcome.polls} polls",
    }[outcome.state]
    err.print(f"wait: {summary}")
    return outcome.exit_code


def _watch(args: argparse.Namespace, out: Console, err: Console) -> int:
    clients, declared = _setup(args)
    metrics = None
    if args.metrics_port is not None:
        metrics = Metrics()
        try:
            metrics.serve(args.metrics_port, args.metrics_addr)
        except OSError as exc:
            raise ConfigError(
                f"--metrics-port {args.metrics_port}: cannot listen on "
                f"{args.metrics_addr}:{args.metrics_port} ({exc.strerror or exc})"
            ) from None
        err.print(f"metrics on http://{args.metrics_addr}:{args.metrics_port}/metrics")
    stop = threading.Event()
    try:
        return watch(
            declared,
            clients,
            interval=args.interval,
            heal=args.heal,
            metrics=metrics,
            iterations=args.iterations,
            crash_loop_threshold=args.crash_loop_threshold,
            log=lambda line: out.print(line, markup=False),
            stop=stop,
        )
    except KeyboardInterrupt:
        stop.set()
        return EXIT_CONVERGED


def _heal(args: argparse.Namespace, out: Console, err: Console) -> int:
    clients, declared = _setup(args)
    result = sweep(
        declared, clients, crash_loop_threshold=args.crash_loop_threshold, max_workers=args.workers
    )
    actions = plan_heal(result)
    outcomes = apply_heal(actions, clients, dry_run=args.dry_run)
    if args.json:
        doc: dict[str, Any] = result.to_dict()
        doc["dry_run"] = args.dry_run
        doc["actions"] = [o.to_dict() for o in outcomes]
        doc["api_calls"] = dict(sorted(clients.counter.snapshot()[0].items()))
        _print_json(doc)
    else:
        print_result(out, result)
        print_heal(out, outcomes, dry_run=args.dry_run)
    pending = args.dry_run and outcomes
    failed = any(not o.applied for o in outcomes) and not args.dry_run
    return EXIT_NOT_CONVERGED if pending or failed else EXIT_CONVERGED


def _print_json(doc: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")


_COMMANDS = {"check": _check, "wait": _wait, "watch": _watch, "heal": _heal}
