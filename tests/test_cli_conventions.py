"""Every command line (reconciler, localcloud, policies.check): help defaults, one-line errors."""

from __future__ import annotations

import argparse

import pytest

from localcloud import cli as localcloud_cli
from reconciler import cli as reconciler_cli

CLIS = {
    "reconciler": (reconciler_cli.build_parser, reconciler_cli.main),
    "localcloud": (localcloud_cli._parser, localcloud_cli.main),
}


def subcommands(build: object) -> list[tuple[str, argparse.ArgumentParser]]:
    parser = build()
    (choices,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(choices.choices.items())


def options_with_defaults(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [
        action
        for action in parser._actions
        if action.option_strings
        and action.default not in (None, False, argparse.SUPPRESS)
        and action.default != []
    ]


@pytest.mark.parametrize(
    ("cli", "command"),
    [(cli, name) for cli, (build, _) in CLIS.items() for name, _ in subcommands(build)],
)
def test_help_of_every_subcommand_shows_every_default(capsys, cli, command):
    build, main = CLIS[cli]
    parser = dict(subcommands(build))[command]
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())  # argparse wraps help at any space
    expected = options_with_defaults(parser)
    assert expected, f"{cli} {command} has no option with a default"
    missing = [
        f"{action.option_strings[-1]} (default: {action.default})"
        for action in expected
        if f"(default: {action.default})" not in shown
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("argv", "text"),
    [
        (["wait", "--help"], "--timeout S seconds to wait (default: 600.0)"),
        (["watch", "--help"], "--interval S seconds between sweeps (default: 30.0)"),
        (
            ["watch", "--help"],
            "--metrics-addr ADDR address of the metrics server (default: 0.0.0.0)",
        ),
    ],
)
def test_reconciler_help_names_the_defaults_that_were_missing(capsys, argv, text):
    with pytest.raises(SystemExit):
        reconciler_cli.main(argv)
    assert text in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize(
    ("argv", "text"),
    [
        (["up", "--help"], "--timeout TIMEOUT seconds to wait for the services to converge "
                           "(default: 60.0)"),
        (["up", "--help"], "--task-start-delay TASK_START_DELAY seconds a task stays PENDING "
                           "(default: 1.0)"),
        (["up", "--help"], "--port PORT port to serve on (default: 4566)"),
        (["fault", "--help"], "--count COUNT unhealthy-targets: how many (default: 1)"),
    ],
)  # fmt: skip
def test_localcloud_help_names_the_defaults_that_were_missing(capsys, argv, text):
    with pytest.raises(SystemExit):
        localcloud_cli.main(argv)
    assert text in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        ([], "error: the following arguments are required: --stack-config"),
        (
            ["--stack-config", "stacks/Pulumi.dev.yaml", "--levels"],
            "error: unrecognized arguments: --levels",
        ),
    ],
)
def test_policy_check_usage_errors_are_one_line_with_exit_2(capsys, argv, line):
    from policies import check

    assert check.main(argv) == check.EXIT_BAD_CONFIG
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [line]
    assert captured.out == ""


def test_policy_check_piped_output_never_wraps_a_rule_name(capsys, monkeypatch, tmp_path):
    from policies import check

    monkeypatch.setenv("COLUMNS", "40")
    weakened = tmp_path / "Pulumi.weakened.yaml"
    weakened.write_text(
        "config:\n  aws:region: us-east-1\n  fargate-app:image: nginx:1.27\n"
        "  fargate-app:assignPublicIp: true\n"
        "  fargate-app:network:\n    natGateways: none\n"
    )
    assert check.main(["--stack-config", str(weakened)]) == check.EXIT_VIOLATIONS
    rows = [
        line for line in capsys.readouterr().out.splitlines() if "ecs-service-no-public-ip" in line
    ]
    assert len(rows) == 1 and "FSBP ECS.2" in rows[0] and "mandatory" in rows[0]


def test_localcloud_parses_its_flags_without_loading_moto_or_pulumi():
    """Usage errors and `up`'s first progress line come at once: moto and Pulumi (about 3 s of
    imports) load only when a command needs them."""
    import subprocess
    import sys

    probe = (
        "import sys, localcloud.cli; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'moto', 'pulumi'}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    ).stdout.strip()
    assert loaded == "[]"
