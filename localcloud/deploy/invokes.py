"""Provider functions (invokes) answered from the emulator, with pulumi-aws's result names."""

from __future__ import annotations

import json
from typing import Any

from localcloud.deploy.context import DeployContext


def availability_zones(ctx: DeployContext, args: dict[str, Any]) -> dict[str, Any]:
    """aws:index/getAvailabilityZones:getAvailabilityZones"""
    filters = [{"Name": "state", "Values": [args["state"]]}] if args.get("state") else []
    zones = ctx.client("ec2").describe_availability_zones(Filters=filters)["AvailabilityZones"]
    zones = [z for z in zones if z["ZoneName"] not in set(args.get("excludeNames") or [])]
    return {
        "id": ctx.region,
        "names": [z["ZoneName"] for z in zones],
        "zoneIds": [z["ZoneId"] for z in zones],
        "groupNames": sorted({z.get("GroupName", ctx.region) for z in zones}),
        "state": args.get("state"),
    }


def region(ctx: DeployContext, args: dict[str, Any]) -> dict[str, Any]:
    """aws:index/getRegion:getRegion (``region`` in pulumi-aws 7, ``name`` before)."""
    return {
        "id": ctx.region,
        "region": ctx.region,
        "name": ctx.region,
        "description": ctx.region,
        "endpoint": f"ec2.{ctx.region}.amazonaws.com",
    }


def caller_identity(ctx: DeployContext, args: dict[str, Any]) -> dict[str, Any]:
    """aws:index/getCallerIdentity:getCallerIdentity"""
    identity = ctx.client("sts").get_caller_identity()
    return {
        "id": identity["Account"],
        "accountId": identity["Account"],
        "arn": identity["Arn"],
        "userId": identity["UserId"],
    }


def partition(ctx: DeployContext, args: dict[str, Any]) -> dict[str, Any]:
    """aws:index/getPartition:getPartition"""
    return {
        "id": "aws",
        "partition": "aws",
        "dnsSuffix": "amazonaws.com",
        "reverseDnsPrefix": "com.amazonaws",
    }


def policy_document(ctx: DeployContext, args: dict[str, Any]) -> dict[str, Any]:
    """aws:iam/getPolicyDocument:getPolicyDocument: the JSON document of the statements."""
    statements = []
    for statement in args.get("statements") or []:
        rendered: dict[str, Any] = {}
        if statement.get("sid"):
            rendered["Sid"] = statement["sid"]
        rendered["Effect"] = statement.get("effect", "Allow")
        for key, field in (
            ("actions", "Action"),
            ("notActions", "NotAction"),
            ("resources", "Resource"),
            ("notResources", "NotResource"),
        ):
            values = statement.get(key)
            if values:
                rendered[field] = values[0] if len(values) == 1 else sorted(values)
        for key, field in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
            if statement.get(key):
                rendered[field] = {
                    p["type"]: _one_or_many(p["identifiers"]) for p in statement[key]
                }
        for condition in statement.get("conditions") or []:
            values = condition["values"]
            rendered.setdefault("Condition", {}).setdefault(condition["test"], {})[
                condition["variable"]
            ] = _one_or_many(values)
        statements.append(rendered)
    document = {"Version": args.get("version", "2012-10-17"), "Statement": statements}
    return {
        "id": str(abs(hash(json.dumps(document, sort_keys=True)))),
        "json": json.dumps(document, indent=2),
        "minifiedJson": json.dumps(document, separators=(",", ":")),
    }


def _one_or_many(values: list[Any]) -> Any:
    """IAM's JSON style: a single value unwrapped, several as a list."""
    return values[0] if len(values) == 1 else values


INVOKES = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": availability_zones,
    "aws:index/getRegion:getRegion": region,
    "aws:index/getCallerIdentity:getCallerIdentity": caller_identity,
    "aws:index/getPartition:getPartition": partition,
    "aws:iam/getPolicyDocument:getPolicyDocument": policy_document,
}
