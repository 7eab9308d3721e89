"""Where a component is deployed: region, account and partition, asked of the provider once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class AwsContext:
    """The region, account id and partition of the AWS provider a component deploys with.

    Each is ``None`` only under test mocks that answer the invoke with ``{}``; the component
    treats that like an unknown (``unknowns.known_all``)."""

    region: Optional[str]
    account_id: Optional[str]
    partition: Optional[str]

    @classmethod
    def of(cls, parent: pulumi.Resource) -> AwsContext:
        """Ask the provider of ``parent`` (three invokes; call once per component)."""
        invoke = pulumi.InvokeOptions(parent=parent)
        return cls(
            region=aws.get_region(opts=invoke).region,
            account_id=aws.get_caller_identity(opts=invoke).account_id,
            partition=aws.get_partition(opts=invoke).partition,
        )
