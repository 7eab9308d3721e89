"""Reconciler: check, wait for, watch and heal FargateApp services against their declaration.

Library use (the CLI is a thin layer over these)::

    from reconciler import AwsTarget, ClientFactory, from_outputs_file, sweep

    declared = from_outputs_file("outputs.json")
    result = sweep(declared, ClientFactory(AwsTarget(endpoint_url="http://127.0.0.1:4566")))
    for verdict in result.verdicts:
        print(verdict.declared.name, verdict.status.value, verdict.reasons)
"""

from reconciler.aws import ApiCallCounter, AwsTarget, ClientFactory
from reconciler.desired import discover, from_flags, from_outputs, from_outputs_file, from_stack
from reconciler.errors import AwsAccessError, ConfigError, ReconcilerError
from reconciler.heal import HealAction, HealOutcome, apply_heal, plan_heal
from reconciler.model import (
    DeclaredService,
    Deployment,
    LiveService,
    Observation,
    ServiceEvent,
    ServiceVerdict,
    Status,
    SweepResult,
    TargetHealth,
    TaskInfo,
)
from reconciler.sweep import sweep
from reconciler.verdict import heal_target, judge, needs_task_detail
from reconciler.wait import PollPolicy, WaitOutcome, WaitState, wait_for_convergence
from reconciler.watch import watch

__all__ = [
    "ApiCallCounter",
    "AwsAccessError",
    "AwsTarget",
    "ClientFactory",
    "ConfigError",
    "DeclaredService",
    "Deployment",
    "HealAction",
    "HealOutcome",
    "LiveService",
    "Observation",
    "PollPolicy",
    "ReconcilerError",
    "ServiceEvent",
    "ServiceVerdict",
    "Status",
    "SweepResult",
    "TargetHealth",
    "TaskInfo",
    "WaitOutcome",
    "WaitState",
    "apply_heal",
    "discover",
    "from_flags",
    "from_outputs",
    "from_outputs_file",
    "from_stack",
    "heal_target",
    "judge",
    "needs_task_detail",
    "plan_heal",
    "sweep",
    "wait_for_convergence",
    "watch",
]
