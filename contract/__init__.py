"""The contract between the FargateApp component and the tools that read its stacks.

One home for what crosses that boundary: the ``reconcile`` stack output's shape (built by the
component with ``reconcile_target``, parsed by the reconciler and the local cloud with
``parse_reconcile``) and the tag that marks every resource the component manages. Plain Python
with no Pulumi or AWS import, so every side can import it cheaply.
"""

from contract.reconcile import (
    MANAGED_BY_TAG,
    RECONCILE_OUTPUT,
    ContractError,
    ReconcileTarget,
    parse_reconcile,
    parse_target,
    reconcile_target,
)

__all__ = [
    "MANAGED_BY_TAG",
    "RECONCILE_OUTPUT",
    "ContractError",
    "ReconcileTarget",
    "parse_reconcile",
    "parse_target",
    "reconcile_target",
]
