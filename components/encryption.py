"""EncryptionKey: the app's customer-managed KMS key (rotation on) and its key policy.

One key per app encrypts the app's log group, the flow-log group and the ECR repository
(checkov CKV_AWS_158, CKV_AWS_136). The key policy lets:

- this account administer the key (the statement every key policy needs so that IAM policies
  can delegate its use; AWS KMS Developer Guide, "Default key policy");
- CloudWatch Logs in this region use it for exactly the app's log groups (CloudWatch Logs User
  Guide, "Encrypt log data in CloudWatch Logs using AWS KMS": the ``logs.<region>`` principal,
  its five action families and the ``kms:EncryptionContext:aws:logs:arn`` condition; the log
  groups do not exist yet, so their ARNs are built from name, region and account);
- ECR use it for this account's repositories (Amazon ECR User Guide, "Encryption at rest": ECR
  creates a grant through ``ecr.<region>`` for the caller creating the repository).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Optional

import pulumi
import pulumi_aws as aws

from .aws_context import AwsContext
from .component import Component
from .naming import ecs_name
from .unknowns import known_all

KEY_DELETION_WINDOW_DAYS = 30
"""Days a deleted key stays recoverable (AWS's default and longest window)."""

LOGS_KMS_ACTIONS: tuple[str, ...] = (
    "kms:Encrypt*",
    "kms:Decrypt*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:Describe*",
)
"""What CloudWatch Logs needs of a key that encrypts a log group."""

ECR_KMS_ACTIONS: tuple[str, ...] = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:CreateGrant",
    "kms:RetireGrant",
    "kms:DescribeKey",
)
"""What ECR needs (through its grant) to encrypt a repository's images with a key."""


def service_principal(service: str, region: str, partition: str) -> str:
    """The regional service principal (``logs.us-east-1.amazonaws.com``; ``.com.cn`` in China)."""
    suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return f"{service}.{region}.{suffix}"


def log_group_arn(partition: str, region: str, account_id: str, name: str) -> str:
    """The ARN a log group called ``name`` has (or will have)."""
    return f"arn:{partition}:logs:{region}:{account_id}:log-group:{name}"


def key_policy(account_id: str, partition: str, region: str, log_group_names: Sequence[str]) -> str:
    """The key policy: account administration, CloudWatch Logs for exactly ``log_group_names``,
    ECR for this account's repositories."""
    root = f"arn:{partition}:iam::{account_id}:root"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministersTheKey",
                    "Effect": "Allow",
                    "Principal": {"AWS": root},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchLogsEncryptsTheAppsLogGroups",
                    "Effect": "Allow",
                    "Principal": {"Service": service_principal("logs", region, partition)},
                    "Action": list(LOGS_KMS_ACTIONS),
                    "Resource": "*",
                    "Condition": {
                        "ArnEquals": {
                            "kms:EncryptionContext:aws:logs:arn": [
                                log_group_arn(partition, region, account_id, name)
                                for name in log_group_names
                            ]
                        }
                    },
                },
                {
                    "Sid": "EcrEncryptsThisAccountsRepositories",
                    "Effect": "Allow",
                    "Principal": {"AWS": root},
                    "Action": list(ECR_KMS_ACTIONS),
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {
                            "kms:CallerAccount": account_id,
                            "kms:ViaService": service_principal("ecr", region, partition),
                        }
                    },
                },
            ],
        }
    )


class EncryptionKey(Component):
    """A customer-managed KMS key with rotation on, a policy scoped to the app's log groups and
    ECR, and an alias ``alias/<app>-<stack>``."""

    key_arn: pulumi.Output[str]
    """ARN of the key (what log groups and the repository are encrypted with)."""
    alias_name: pulumi.Output[str]
    """The key's alias."""

    def __init__(
        self,
        name: str,
        log_group_names: Sequence[str],
        tags: Optional[dict[str, str]] = None,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        """``log_group_names``: the log groups CloudWatch Logs may encrypt with the key."""
        super().__init__("fargate-app:index:EncryptionKey", name, None, opts)
        context = AwsContext.of(self)
        names = tuple(log_group_names)
        key = aws.kms.Key(
            f"{name}-key",
            description=f"Encrypts the log groups and the ECR repository of {name}",
            enable_key_rotation=True,
            deletion_window_in_days=KEY_DELETION_WINDOW_DAYS,
            policy=known_all(context.account_id, context.partition, context.region).apply(
                lambda parts: key_policy(*parts, names)
            ),
            tags=dict(tags or {}),
            opts=self._child(),
        )
        alias = aws.kms.Alias(
            f"{name}-key",
            name=f"alias/{ecs_name(name)}",
            target_key_id=key.key_id,
            opts=self._child(),
        )
        self.key_arn = key.arn
        self.alias_name = alias.name
        self._register_declared_outputs()


def encryption_key_arn(
    name: str,
    *,
    enabled: bool,
    given_key_arn: Optional[pulumi.Input[str]],
    log_groups: Sequence[str],
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> Optional[pulumi.Input[str]]:
    """The key that encrypts ``log_groups`` (and, for an app, its repository): the one given, a
    new ``EncryptionKey`` scoped to those log groups, or None (off: AWS-managed encryption)."""
    if not enabled:
        return None
    if given_key_arn is not None:
        return given_key_arn
    return EncryptionKey(name, list(log_groups), tags, opts=opts).key_arn
