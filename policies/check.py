"""Offline policy check of a stack.

``python -m policies.check --stack-config stacks/Pulumi.dev.yaml``

Runs the project's program for that stack config under Pulumi's mock runtime (through
``components.program.run_program``, the same path the tests use), evaluates every policy of the
pack over what it registers, prints each violation and exits 0 when no mandatory policy fails,
1 when one does, 2 when the stack config or the pack config is unusable.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pulumi_policy import EnforcementLevel
from rich.console import Console
from rich.table import Table

from clitools import args as cliargs
from clitools.console import output_console
from policies.mocks import PolicyMocks
from policies.offline import (
    Captured,
    Finding,
    PackConfig,
    PackConfigError,
    evaluate,
    load_pack_config,
)
from policies.rules import ALL_POLICIES

if TYPE_CHECKING:
    from components.program import StackConfig

PROFILE_KEY = "fargate-app:profile"
PLATFORM_KEY = "fargate-app:platform"
EXIT_OK, EXIT_VIOLATIONS, EXIT_BAD_CONFIG = 0, 1, 2


@dataclass
class CheckResult:
    """Findings of one stack, and what was checked."""

    stack_config: str
    prod: bool
    resources: list[Captured]
    findings: list[Finding]

    @property
    def mandatory(self) -> list[Finding]:
        """The findings that block a deployment."""
        return [f for f in self.findings if f.level == EnforcementLevel.MANDATORY]

    @property
    def exit_code(self) -> int:
        """0 when no mandatory policy fails, 1 otherwise."""
        return EXIT_VIOLATIONS if self.mandatory else EXIT_OK


def _profile(config: dict[str, Any]) -> str:
    """The stack's profile: its platform's in a stack of shared apps, else the app's."""
    platform = config.get(PLATFORM_KEY)
    if isinstance(platform, dict) and "profile" in platform:
        return str(platform["profile"])
    return str(config.get(PROFILE_KEY, "dev"))


def check_stack(
    stack_config: str | Path,
    pack_config: PackConfig | None = None,
    *,
    program: Callable[[], Any] | None = None,
    prod: bool | None = None,
) -> CheckResult:
    """Run the stack's program (or ``program``) under mocks and evaluate the pack over it.

    ``prod`` defaults to the stack's profile being ``prod`` (``fargate-app:profile``, or the
    ``profile`` of ``fargate-app:platform`` in a stack of shared apps). Raises
    ``components.program.StackConfigError`` or ``ValueError`` for an unusable config.
    """
    from components.program import load_stack_config

    parsed = load_stack_config(stack_config)
    if prod is None:
        prod = _profile(parsed.config) == "prod"
    resources = capture(parsed, program)
    findings = evaluate(resources, (pack_config or PackConfig()).with_prod(prod))
    return CheckResult(str(stack_config), prod, resources, findings)


def capture(parsed: StackConfig, program: Callable[[], Any] | None = None) -> list[Captured]:
    """Run the program of ``parsed`` (or ``program``) under ``PolicyMocks``: the resources it
    registers, with their inputs after transforms, as the pack sees them. The result depends on
    the parsed config and the program only (each run has a fresh runtime)."""
    from components.program import run_program

    mocks = PolicyMocks(region=str(parsed.config.get("aws:region", "us-east-1")))
    result = run_program(parsed, mocks, program=program)
    return [
        Captured(
            type_=r.type_,
            name=r.name,
            urn=r.urn,
            inputs=mocks.inputs.get((r.type_, r.name), r.inputs),
            outputs=dict(r.outputs),
            parent_urn=r.parent_urn or None,
            dependencies=tuple(r.dependencies),
        )
        for r in result.resources
    ]


def render(result: CheckResult, console: Console) -> None:
    """Print the findings as a table plus a one-line summary."""
    mandatory, advisory = len(result.mandatory), len(result.findings) - len(result.mandatory)
    profile = "prod" if result.prod else "non-prod"
    if result.findings:
        table = Table(title=f"Policy violations: {result.stack_config} ({profile})")
        for column in ("level", "rule", "resource", "controls", "message"):
            table.add_column(column, overflow="fold")
        order = sorted(result.findings, key=lambda f: (f.level.value != "mandatory", f.policy))
        for finding in order:
            style = "red" if finding.level == EnforcementLevel.MANDATORY else "yellow"
            table.add_row(
                f"[{style}]{finding.level.value}[/]",
                finding.policy,
                _resource_label(finding),
                ", ".join(finding.controls),
                finding.message,
            )
        console.print(table)
    verdict = "[red]FAIL[/]" if mandatory else "[green]PASS[/]"
    console.print(
        f"{verdict} {result.stack_config}: {mandatory} mandatory, {advisory} advisory "
        f"violation(s); {len(ALL_POLICIES)} policies over {len(result.resources)} resources "
        f"({profile})."
    )


def _resource_label(finding: Finding) -> str:
    if finding.resource_name is None:
        return "(stack)"
    short = (finding.resource_type or "").split(":")[1] if finding.resource_type else ""
    return f"{finding.resource_name} ({short})"


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = cliargs.OneLineParser(
        prog="python -m policies.check",
        description="Evaluate the policy pack offline over the resources a stack registers.",
    )
    parser.add_argument("--stack-config", required=True, help="stacks/Pulumi.<stack>.yaml")
    parser.add_argument(
        "--policy-config",
        help="JSON pack config, as for `pulumi preview --policy-pack-config` (levels, properties)",
    )
    try:
        args = parser.parse_args(argv)
    except cliargs.UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    console = output_console()
    try:
        pack_config = load_pack_config(args.policy_config) if args.policy_config else None
        result = check_stack(args.stack_config, pack_config)
    except (PackConfigError, ValueError) as error:
        # StackConfigError and FargateAppConfigError are ValueErrors with one-line messages.
        print(f"error: {_one_line(error)}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    render(result, console)
    return result.exit_code


def _one_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return " ".join(text.split())


if __name__ == "__main__":
    sys.exit(main())
