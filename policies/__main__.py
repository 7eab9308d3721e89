"""Entry point Pulumi runs for ``pulumi preview --policy-pack policies``: builds the pack.

Building a ``PolicyPack`` starts the analyzer's gRPC server and blocks, so nothing else imports
this module; the rules are in :mod:`policies.rules`.
"""

import sys
from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyPack

# Pulumi runs this file by path (runpy), with only this directory on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policies.rules import ALL_POLICIES  # noqa: E402

PACK_NAME = "fargate-app-guardrails"

PolicyPack(
    name=PACK_NAME,
    policies=list(ALL_POLICIES),
    enforcement_level=EnforcementLevel.MANDATORY,
    description="Guardrails for a FargateApp (ECS Fargate + ALB + ECR), mapped to AWS FSBP and "
    "checkov control IDs.",
)
