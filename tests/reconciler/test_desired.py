"""Desired-state sources: outputs files, `pulumi stack output`, flags; every config error."""

from __future__ import annotations

import json
import os
import stat

import pytest

from reconciler.desired import from_flags, from_outputs_file, from_stack
from reconciler.errors import ConfigError
from reconciler.model import DeclaredService

ENTRY = {
    "cluster": "web",
    "service": "app",
    "region": "eu-west-3",
    "desired_count": 2,
    "min_count": 1,
    "max_count": 4,
    "target_group_arn": "arn:aws:elasticloadbalancing:eu-west-3:1:targetgroup/app/1",
}


def write(tmp_path, document) -> str:
    path = tmp_path / "outputs.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


def test_reconcile_dict_of_a_stack_output(tmp_path):
    doc = {"url": "http://x", "reconcile": ENTRY, "task_definition_arn": "arn:td/app:3"}
    assert from_outputs_file(write(tmp_path, doc)) == [
        DeclaredService(
            cluster="web",
            service="app",
            desired_count=2,
            min_count=1,
            max_count=4,
            region="eu-west-3",
            target_group_arn=ENTRY["target_group_arn"],
            task_definition_arn="arn:td/app:3",
        )
    ]


def test_reconcile_list_and_defaults(tmp_path):
    doc = {"reconcile": [ENTRY, {"cluster": "web", "service": "api", "desired_count": 3}]}
    api = from_outputs_file(write(tmp_path, doc))[1]
    assert (api.service, api.min_count, api.max_count, api.region, api.target_group_arn) == (
        "api",
        3,
        3,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "file is empty; expected the JSON of `pulumi stack output --json`"),
        ("   \n", "file is empty; expected the JSON of `pulumi stack output --json`"),
        (
            "{not json",
            "not valid JSON (Expecting property name enclosed in double quotes at line 1 column 2)",
        ),
        ("[1, 2]", "expected a JSON object of stack outputs, got a list"),
        ('{"url": "x"}', "no `reconcile` output (outputs present: url)"),
        (
            '{"reconcile": "web/app"}',
            "`reconcile` is a string; expected an object or a list of objects",
        ),
        ('{"reconcile": []}', "`reconcile` is an empty list; declare at least one service"),
    ],
)
def test_malformed_outputs_files(tmp_path, content, message):
    path = write(tmp_path, content)
    with pytest.raises(ConfigError) as err:
        from_outputs_file(path)
    assert str(err.value) == f"--outputs {path}: {message}"
    assert err.value.exit_code == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"min_count": 5, "max_count": 2},
            "reconcile.min_count 5 is greater than max_count 2; min must be <= max",
        ),
        ({"desired_count": "3"}, "reconcile.desired_count is '3'; expected a non-negative integer"),
        (
            {"desired_count": True},
            "reconcile.desired_count is True; expected a non-negative integer",
        ),
        ({"desired_count": -1}, "reconcile.desired_count is -1; expected a non-negative integer"),
        (
            {"desired_count": 9},
            "reconcile.desired_count 9 is outside [min_count 1, max_count 4]; "
            "it must lie in that range",
        ),
        ({"cluster": ""}, "reconcile.cluster is ''; expected a non-empty name"),
        ({"service": None}, "reconcile.service is None; expected a non-empty name"),
        (
            {"target_group_arn": "app-tg"},
            "reconcile.target_group_arn is 'app-tg'; expected a target group ARN",
        ),
    ],
)
def test_invalid_entries_name_the_field(tmp_path, change, message):
    path = write(tmp_path, {"reconcile": {**ENTRY, **change}})
    prefix = f"--outputs {path}: "
    with pytest.raises(ConfigError) as err:
        from_outputs_file(path)
    assert str(err.value) == prefix + message.format(p=prefix)


def test_missing_desired_count(tmp_path):
    path = write(tmp_path, {"reconcile": [{"cluster": "web", "service": "app"}]})
    with pytest.raises(ConfigError, match=r"reconcile\[0\]\.desired_count is missing"):
        from_outputs_file(path)


def test_duplicate_service(tmp_path):
    path = write(tmp_path, {"reconcile": [ENTRY, ENTRY]})
    with pytest.raises(ConfigError, match="service web/app is declared twice"):
        from_outputs_file(path)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        from_outputs_file(tmp_path / "nope.json")


def test_flags_declare_one_service():
    assert from_flags("web", "app", 2, 1, 3) == [
        DeclaredService(cluster="web", service="app", desired_count=2, min_count=1, max_count=3)
    ]


def test_flags_min_greater_than_max_names_the_flags():
    with pytest.raises(ConfigError) as err:
        from_flags("web", "app", 2, 5, 3)
    assert str(err.value) == "--min 5 is greater than --max 3; min must be <= max"


def test_stack_without_pulumi_cli(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigError) as err:
        from_stack("dev")
    assert str(err.value).startswith("--stack dev: the pulumi CLI is not on PATH")


def fake_pulumi(tmp_path, monkeypatch, script: str) -> None:
    exe = tmp_path / "pulumi"
    exe.write_text("#!/bin/sh\n" + script)
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}/usr/bin:/bin")


def test_stack_reads_pulumi_stack_output(tmp_path, monkeypatch):
    doc = json.dumps({"reconcile": ENTRY})
    fake_pulumi(tmp_path, monkeypatch, f"echo \"$@\" > {tmp_path}/args\ncat <<'EOF'\n{doc}\nEOF\n")
    assert [s.service for s in from_stack("dev")] == ["app"]
    assert (tmp_path / "args").read_text().split() == [
        "stack",
        "output",
        "--json",
        "--stack",
        "dev",
    ]


def test_stack_failure_quotes_pulumi(tmp_path, monkeypatch):
    fake_pulumi(tmp_path, monkeypatch, "echo 'error: no stack named dev found' >&2\nexit 255\n")
    with pytest.raises(ConfigError) as err:
        from_stack("dev")
    assert (
        str(err.value)
        == "--stack dev: `pulumi stack output` failed: error: no stack named dev found"
    )
