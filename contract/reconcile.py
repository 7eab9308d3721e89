"""The ``reconcile`` stack output and the managed-by tag (see the package docstring).

The component builds the output with ``reconcile_target``; every reader parses it with
``parse_reconcile`` (a whole stack-outputs document) or ``parse_target`` (one entry), which raise
``ContractError`` with a one-line message naming the field, the value and what is allowed.
"""

# No ``from __future__ import annotations``: the Pulumi analyzer reads ReconcileTarget's field
# types (the FargateApp's ``reconcile`` output) and cannot resolve them as strings.
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypedDict

#: Tag (key, value) on every taggable resource a FargateApp creates; ``reconciler --discover``
#: and the policy pack's required tags rely on it.
MANAGED_BY_TAG: tuple[str, str] = ("managed-by", "fargate-app")

#: Name of the stack output that declares the services to reconcile.
RECONCILE_OUTPUT = "reconcile"


class ContractError(ValueError):
    """A ``reconcile`` output (or one entry of it) that breaks the contract; one-line message."""


class ReconcileTarget(TypedDict):
    """What the reconciler checks: where the service runs and how many tasks it must keep.

    The component always sets every key; a parsed hand-written declaration may leave ``region``
    and ``target_group_arn`` None.
    """

    cluster: str
    service: str
    region: str | None
    desired_count: int
    min_count: int
    max_count: int
    target_group_arn: str | None


def reconcile_target(
    *,
    cluster: str,
    service: str,
    region: str,
    desired_count: int,
    min_count: int | None = None,
    max_count: int | None = None,
    target_group_arn: str,
) -> ReconcileTarget:
    """One entry of the ``reconcile`` output; min and max default to ``desired_count``
    (a fixed count, no autoscaling)."""
    return ReconcileTarget(
        cluster=cluster,
        service=service,
        region=region,
        desired_count=desired_count,
        min_count=desired_count if min_count is None else min_count,
        max_count=desired_count if max_count is None else max_count,
        target_group_arn=target_group_arn,
    )


def parse_reconcile(document: Any, *, source: str = "outputs") -> list[ReconcileTarget]:
    """The entries of a stack-outputs document's ``reconcile`` output (an object or a list).

    *source* starts every message (``--outputs F``). Each entry is checked by ``parse_target``,
    and a service declared twice is an error.
    """
    if not isinstance(document, Mapping):
        raise ContractError(
            f"{source}: expected a JSON object of stack outputs, got {_kind(document)}"
        )
    if RECONCILE_OUTPUT not in document:
        keys = ", ".join(sorted(document)) or "none"
        raise ContractError(f"{source}: no `{RECONCILE_OUTPUT}` output (outputs present: {keys})")
    entries = document[RECONCILE_OUTPUT]
    single = isinstance(entries, Mapping)
    if single:
        entries = [entries]
    elif not isinstance(entries, list):
        raise ContractError(
            f"{source}: `{RECONCILE_OUTPUT}` is {_kind(entries)}; "
            "expected an object or a list of objects"
        )
    if not entries:
        raise ContractError(
            f"{source}: `{RECONCILE_OUTPUT}` is an empty list; declare at least one service"
        )
    targets = [
        parse_target(
            entry,
            where=f"{source}: {RECONCILE_OUTPUT}" + ("" if single else f"[{index}]"),
        )
        for index, entry in enumerate(entries)
    ]
    _reject_duplicates(targets, source)
    return targets


def parse_target(
    entry: Any, *, where: str | None, field_label: Callable[[str], str] = str
) -> ReconcileTarget:
    """One ``reconcile`` entry, checked; min and max default to ``desired_count``.

    Messages name a field as ``<where>.<label>``, or as the bare label when *where* is None;
    *field_label* renames the keys (the reconciler's flags call ``min_count`` ``--min``).
    """

    def name(key: str) -> str:
        return f"{where}.{field_label(key)}" if where else field_label(key)

    if not isinstance(entry, Mapping):
        raise ContractError(f"{where}: expected an object, got {_kind(entry)}")
    for key in ("cluster", "service"):
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ContractError(f"{name(key)} is {value!r}; expected a non-empty name")
    if "desired_count" not in entry:
        raise ContractError(f"{name('desired_count')} is missing; expected a non-negative integer")
    desired = _count(entry.get("desired_count"), name("desired_count"))
    low = (
        desired if entry.get("min_count") is None else _count(entry["min_count"], name("min_count"))
    )
    high = (
        desired if entry.get("max_count") is None else _count(entry["max_count"], name("max_count"))
    )
    if low > high:
        raise ContractError(
            f"{name('min_count')} {low} is greater than {field_label('max_count')} {high}; "
            "min must be <= max"
        )
    if not low <= desired <= high:
        raise ContractError(
            f"{name('desired_count')} {desired} is outside [{field_label('min_count')} {low}, "
            f"{field_label('max_count')} {high}]; it must lie in that range"
        )
    region = entry.get("region")
    if region is not None and (not isinstance(region, str) or not region.strip()):
        raise ContractError(f"{name('region')} is {region!r}; expected an AWS region name")
    target_group = entry.get("target_group_arn")
    if target_group is not None and (
        not isinstance(target_group, str) or not target_group.startswith("arn:")
    ):
        raise ContractError(
            f"{name('target_group_arn')} is {target_group!r}; expected a target group ARN"
        )
    return ReconcileTarget(
        cluster=entry["cluster"].strip(),
        service=entry["service"].strip(),
        region=region or None,
        desired_count=desired,
        min_count=low,
        max_count=high,
        target_group_arn=target_group or None,
    )


def _count(value: Any, field: str) -> int:
    # bool is an int subclass; `true` is never a task count.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ContractError(f"{field} is {value!r}; expected a non-negative integer")
    return value


def _reject_duplicates(targets: Sequence[ReconcileTarget], source: str) -> None:
    seen: set[tuple[str | None, str, str]] = set()
    for target in targets:
        key = (target["region"], target["cluster"], target["service"])
        if key in seen:
            raise ContractError(
                f"{source}: service {target['cluster']}/{target['service']} is declared twice; "
                "declare each service once"
            )
        seen.add(key)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", type(None): "null"}.get(
        type(value), type(value).__name__
    )
