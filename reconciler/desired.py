"""Desired-state sources: a stack outputs file, `pulumi stack output`, flags, or discovery by tags.

Each source returns a list of DeclaredService; every problem is a ConfigError whose one-line
message names the field, the value and what is allowed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from contract import (
    MANAGED_BY_TAG,
    RECONCILE_OUTPUT,
    ContractError,
    ReconcileTarget,
    parse_reconcile,
    parse_target,
)
from reconciler.errors import ConfigError
from reconciler.model import DeclaredService


def from_outputs_file(path: str | Path) -> list[DeclaredService]:
    """Read the `reconcile` entry of a saved `pulumi stack output --json` (or local cloud) file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"--outputs {path}: file not found") from None
    except OSError as exc:
        raise ConfigError(f"--outputs {path}: cannot read it ({exc.strerror})") from None
    if not text.strip():
        raise ConfigError(
            f"--outputs {path}: file is empty; expected the JSON of `pulumi stack output --json`"
        )
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"--outputs {path}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    return from_outputs(document, source=f"--outputs {path}")


def from_stack(
    stack: str, *, pulumi: str = "pulumi", cwd: str | Path | None = None, timeout: float = 120.0
) -> list[DeclaredService]:
    """Run `pulumi stack output --json --stack NAME` and read its `reconcile` entry."""
    exe = shutil.which(pulumi)
    if exe is None:
        raise ConfigError(
            f"--stack {stack}: the pulumi CLI is not on PATH; install it, or pass the saved "
            "output of `pulumi stack output --json` with --outputs FILE"
        )
    try:
        proc = subprocess.run(
            [exe, "stack", "output", "--json", "--stack", stack],
            capture_output=True,
            text=True,
            cwd=cwd,
            check=False,
            stdin=subprocess.DEVNULL,  # never wait for a passphrase prompt
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise ConfigError(
            f"--stack {stack}: `pulumi stack output` did not answer in {timeout:g}s"
        ) from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no error output"])[-1]
        raise ConfigError(f"--stack {stack}: `pulumi stack output` failed: {last}")
    try:
        document = json.loads(proc.stdout or "")
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"--stack {stack}: `pulumi stack output` printed invalid JSON ({exc.msg})"
        ) from None
    return from_outputs(document, source=f"--stack {stack}")


def from_outputs(document: Any, *, source: str = "outputs") -> list[DeclaredService]:
    """Declared services from an already parsed stack-outputs document (see ``contract``)."""
    try:
        targets = parse_reconcile(document, source=source)
    except ContractError as exc:
        raise ConfigError(str(exc)) from None
    services = [_declared(target) for target in targets]
    single = isinstance(document.get(RECONCILE_OUTPUT), Mapping)
    if single and isinstance(document.get("task_definition_arn"), str):
        services[0] = replace(services[0], task_definition_arn=document["task_definition_arn"])
    return services


def from_flags(
    cluster: str,
    service: str,
    desired: int,
    min_count: int | None = None,
    max_count: int | None = None,
    *,
    region: str | None = None,
    target_group_arn: str | None = None,
) -> list[DeclaredService]:
    """One declared service from `--cluster --service --desired [--min --max]`."""
    entry = {
        "cluster": cluster,
        "service": service,
        "desired_count": desired,
        "min_count": desired if min_count is None else min_count,
        "max_count": desired if max_count is None else max_count,
        "region": region,
        "target_group_arn": target_group_arn,
    }
    try:
        target = parse_target(entry, where=None, field_label=_flag_name)
    except ContractError as exc:
        raise ConfigError(str(exc)) from None
    return [_declared(target)]


def discover(
    ecs: Any, cluster: str, *, autoscaling: Any = None, region: str | None = None
) -> list[DeclaredService]:
    """Services of `cluster` tagged `managed-by: fargate-app`, declared as they run now.

    The live desired count becomes the declaration (there is nothing else to compare it to),
    and the range comes from Application Auto Scaling when a scalable target is registered, so
    `check` reports health and rollouts and `heal` clamps into the autoscaling range.
    """
    arns: list[str] = []
    for page in ecs.get_paginator("list_services").paginate(cluster=cluster):
        arns.extend(page.get("serviceArns", []))
    services: list[dict[str, Any]] = []
    for start in range(0, len(arns), 10):
        resp = ecs.describe_services(
            cluster=cluster, services=arns[start : start + 10], include=["TAGS"]
        )
        services.extend(resp.get("services", []))
    tagged = [s for s in services if s.get("status") == "ACTIVE" and _has_tag(s, *MANAGED_BY_TAG)]
    ranges = _scalable_ranges(autoscaling, cluster, [s["serviceName"] for s in tagged])
    declared = []
    for svc in tagged:
        desired = int(svc.get("desiredCount", 0))
        low, high = ranges.get(svc["serviceName"], (desired, desired))
        tgs = [
            lb["targetGroupArn"] for lb in svc.get("loadBalancers", []) if lb.get("targetGroupArn")
        ]
        declared.append(
            DeclaredService(
                cluster=cluster,
                service=svc["serviceName"],
                desired_count=min(max(desired, low), high),
                min_count=low,
                max_count=high,
                region=region,
                target_group_arn=tgs[0] if tgs else None,
            )
        )
    return declared


def _flag_name(key: str) -> str:
    """The flag that sets a ``reconcile`` key: ``min_count`` is ``--min``."""
    return "--" + key.replace("_count", "").replace("_", "-")


def _declared(target: ReconcileTarget) -> DeclaredService:
    return DeclaredService(**target)


def _has_tag(service: Mapping[str, Any], key: str, value: str) -> bool:
    return any(t.get("key") == key and t.get("value") == value for t in service.get("tags", []))


def _scalable_ranges(
    autoscaling: Any, cluster: str, names: Sequence[str]
) -> dict[str, tuple[int, int]]:
    if autoscaling is None or not names:
        return {}
    ranges: dict[str, tuple[int, int]] = {}
    ids = [f"service/{cluster}/{n}" for n in names]
    for start in range(0, len(ids), 50):
        resp = autoscaling.describe_scalable_targets(
            ServiceNamespace="ecs",
            ResourceIds=ids[start : start + 50],
            ScalableDimension="ecs:service:DesiredCount",
        )
        for target in resp.get("ScalableTargets", []):
            ranges[target["ResourceId"].rsplit("/", 1)[-1]] = (
                int(target["MinCapacity"]),
                int(target["MaxCapacity"]),
            )
    return ranges
