"""The one parser of the `reconcile` output: what the component builds, readers read back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from contract import ContractError, parse_reconcile, parse_target, reconcile_target

TG = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web/1"


def test_what_the_component_builds_parses_back_unchanged():
    built = reconcile_target(
        cluster="web", service="api", region="us-east-1", desired_count=2, target_group_arn=TG
    )
    assert parse_reconcile({"reconcile": built}) == [built]
    second = {**built, "service": "worker", "min_count": 1, "max_count": 4}
    assert parse_reconcile({"reconcile": [built, second]}) == [built, second]


def test_errors_are_value_errors_naming_the_field_and_the_value():
    with pytest.raises(ContractError) as error:
        parse_reconcile({"reconcile": [{"cluster": "web", "service": "api", "desired_count": 1},
                                       {"cluster": "web", "service": "b", "desired_count": -1}]},
                        source="--outputs F")  # fmt: skip
    assert isinstance(error.value, ValueError)
    assert str(error.value) == (
        "--outputs F: reconcile[1].desired_count is -1; expected a non-negative integer"
    )


def test_field_labels_rename_keys_for_flags():
    with pytest.raises(ContractError) as error:
        parse_target(
            {"cluster": "web", "service": "api", "desired_count": 2, "min_count": 3,
             "max_count": 1},
            where=None,
            field_label=lambda key: "--" + key.replace("_count", ""),
        )  # fmt: skip
    assert str(error.value) == "--min 3 is greater than --max 1; min must be <= max"


def test_the_contract_imports_neither_pulumi_nor_boto3():
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, contract; print(sorted(m.split('.')[0] for m in "
         "sys.modules if m.split('.')[0] in {'pulumi', 'boto3', 'botocore', 'moto'}))"],
        cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert loaded.stdout.strip() == "[]"
