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

from reconciler.errors import ConfigError
from reconciler.model import DeclaredService

#: Tag every FargateApp resource carries (see the component's tagging contract).
MANAGED_BY_TAG = ("managed-by", "fargate-app")


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
    """Declared services from an already parsed stack-outputs document."""
    if not isinstance(document, Mapping):
        raise ConfigError(
            f"{source}: expected a JSON object of stack outputs, got {_kind(document)}"
        )
    if "reconcile" not in document:
        keys = ", ".join(sorted(document)) or "none"
        raise ConfigError(f"{source}: no `reconcile` output (outputs present: {keys})")
    entries = document["reconcile"]
    if isinstance(entries, Mapping):
        entries = [entries]
        single = True
    elif isinstance(entries, list):
        single = False
    else:
        raise ConfigError(
            f"{source}: `reconcile` is {_kind(entries)}; expected an object or a list of objects"
        )
    if not entries:
        raise ConfigError(f"{source}: `reconcile` is an empty list; declare at least one service")
    services = []
    for index, entry in enumerate(entries):
        where = f"{source}: reconcile" if single else f"{source}: reconcile[{index}]"
        services.append(_declared_from_entry(entry, where))
    if single and isinstance(document.get("task_definition_arn"), str):
        services[0] = _with_task_definition(services[0], document["task_definition_arn"])
    _reject_duplicates(services, source)
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
    return [_declared_from_entry(entry, "flags", flag_names=True)]


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


def _declared_from_entry(entry: Any, where: str, *, flag_names: bool = False) -> DeclaredService:
    def short(key: str) -> str:
        return "--" + key.replace("_count", "").replace("_", "-") if flag_names else key

    def name(key: str) -> str:
        return short(key) if flag_names else f"{where}.{key}"

    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where}: expected an object, got {_kind(entry)}")
    for key in ("cluster", "service"):
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{name(key)} is {value!r}; expected a non-empty name")
    if "desired_count" not in entry:
        raise ConfigError(f"{name('desired_count')} is missing; expected a non-negative integer")
    desired = _count(entry.get("desired_count"), name("desired_count"))
    low = (
        desired if entry.get("min_count") is None else _count(entry["min_count"], name("min_count"))
    )
    high = (
        desired if entry.get("max_count") is None else _count(entry["max_count"], name("max_count"))
    )
    if low > high:
        raise ConfigError(
            f"{name('min_count')} {low} is greater than {short('max_count')} {high}; "
            "min must be <= max"
        )
    if not low <= desired <= high:
        raise ConfigError(
            f"{name('desired_count')} {desired} is outside [{short('min_count')} {low}, "
            f"{short('max_count')} {high}]; it must lie in that range"
        )
    region = entry.get("region")
    if region is not None and (not isinstance(region, str) or not region.strip()):
        raise ConfigError(f"{name('region')} is {region!r}; expected an AWS region name")
    tg = entry.get("target_group_arn")
    if tg is not None and (not isinstance(tg, str) or not tg.startswith("arn:")):
        raise ConfigError(f"{name('target_group_arn')} is {tg!r}; expected a target group ARN")
    return DeclaredService(
        cluster=entry["cluster"].strip(),
        service=entry["service"].strip(),
        desired_count=desired,
        min_count=low,
        max_count=high,
        region=region or None,
        target_group_arn=tg or None,
    )


def _count(value: Any, field: str) -> int:
    # bool is an int subclass; `true` is never a task count.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{field} is {value!r}; expected a non-negative integer")
    return value


def _with_task_definition(service: DeclaredService, arn: str) -> DeclaredService:
    return replace(service, task_definition_arn=arn)


def _reject_duplicates(services: Sequence[DeclaredService], source: str) -> None:
    seen: set[tuple[str | None, str, str]] = set()
    for svc in services:
        key = (svc.region, svc.cluster, svc.service)
        if key in seen:
            raise ConfigError(
                f"{source}: service {svc.name} is declared twice; declare each service once"
            )
        seen.add(key)


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


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", type(None): "null"}.get(
        type(value), type(value).__name__
    )
