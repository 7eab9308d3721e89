"""Where a component is deployed: region, account and partition, asked of the provider once."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

#: The answers of each program (by its root stack resource), by the provider asked (None: the
#: default provider). The three invokes are synchronous: each blocks the program until answered.
_ANSWERS: weakref.WeakKeyDictionary[
    pulumi.Resource, dict[Optional[pulumi.ProviderResource], AwsContext]
] = weakref.WeakKeyDictionary()


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
        """Ask the provider of ``parent`` (three invokes), once per program and provider: the
        components of one program that deploy with the same provider share the answer."""
        root = pulumi.runtime.get_root_resource()
        if root is None:  # no program to remember it for
            return cls._ask(parent)
        answers = _ANSWERS.setdefault(root, {})
        provider = parent.get_provider("aws:index/getRegion:getRegion")
        if provider not in answers:
            answers[provider] = cls._ask(parent)
        return answers[provider]

    @classmethod
    def _ask(cls, parent: pulumi.Resource) -> AwsContext:
        invoke = pulumi.InvokeOptions(parent=parent)
        return cls(
            region=aws.get_region(opts=invoke).region,
            account_id=aws.get_caller_identity(opts=invoke).account_id,
            partition=aws.get_partition(opts=invoke).partition,
        )
