"""The contract between the FargateApp component and the tools that read its stacks.

One home for what crosses that boundary: the ``reconcile`` stack output's shape (built by the
component, read by the reconciler and the local cloud) and the tag that marks every resource the
component manages. Plain Python with no Pulumi or AWS import, so every side can import it cheaply.
"""

from contract.reconcile import (
    MANAGED_BY_TAG,
    RECONCILE_OUTPUT,
    ReconcileTarget,
    reconcile_target,
)

__all__ = ["MANAGED_BY_TAG", "RECONCILE_OUTPUT", "ReconcileTarget", "reconcile_target"]
