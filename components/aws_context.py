"""Where a component is deployed: region, account and partition, asked of the provider once."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class AwsContext:
    """The region, account id and partition of the AWS provider a component deploys with."""

    region: str
    account_id: str
    partition: str

    @classmethod
    def of(cls, parent: pulumi.Resource) -> AwsContext:
        """Ask the provider of ``parent`` (three invokes; call once per component)."""
        invoke = pulumi.InvokeOptions(parent=parent)
        return cls(
            region=aws.get_region(opts=invoke).region,
            account_id=aws.get_caller_identity(opts=invoke).account_id,
            partition=aws.get_partition(opts=invoke).partition,
        )
