"""ECR, ECS, CloudWatch Logs and IAM resources of the emulated deploy.

Each handler makes the AWS calls the pulumi-aws provider would make and returns
``(id, outputs)`` with the provider's property names (camelCase, as Pulumi mocks see them).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from localcloud.deploy.context import DeployContext, as_int, drop_none, physical_name, tag_list

Outputs = tuple[str, dict[str, Any]]


def ecr_repository(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:ecr/repository:Repository"""
    repository_name = physical_name(inputs, name, 256, lowercase=True)
    scanning = inputs.get("imageScanningConfiguration") or {}
    encryption = (inputs.get("encryptionConfigurations") or [{}])[0]
    created = ctx.client("ecr").create_repository(
        **drop_none(
            repositoryName=repository_name,
            imageTagMutability=inputs.get("imageTagMutability", "MUTABLE"),
            imageScanningConfiguration={"scanOnPush": bool(scanning.get("scanOnPush", False))},
            encryptionConfiguration=drop_none(
                encryptionType=encryption.get("encryptionType", "AES256"),
                kmsKey=encryption.get("kmsKey"),
            ),
            tags=tag_list(inputs.get("tags")) or None,
        )
    )["repository"]
    return repository_name, {
        **inputs,
        "name": repository_name,
        "arn": created["repositoryArn"],
        "registryId": created["registryId"],
        "repositoryUrl": created["repositoryUri"],
        "tagsAll": inputs.get("tags", {}),
    }


def ecr_lifecycle_policy(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:ecr/lifecyclePolicy:LifecyclePolicy"""
    policy = inputs["policy"]
    text = policy if isinstance(policy, str) else json.dumps(policy)
    answer = ctx.client("ecr").put_lifecycle_policy(
        repositoryName=inputs["repository"], lifecyclePolicyText=text
    )
    return inputs["repository"], {**inputs, "registryId": answer["registryId"]}


def ecs_cluster(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:ecs/cluster:Cluster (id is the ARN, as in the provider)."""
    cluster_name = physical_name(inputs, name, 255)
    created = ctx.client("ecs").create_cluster(
        **drop_none(
            clusterName=cluster_name,
            settings=inputs.get("settings"),
            tags=tag_list(inputs.get("tags"), "key", "value") or None,
        )
    )["cluster"]
    return created["clusterArn"], {
        **inputs,
        "name": cluster_name,
        "arn": created["clusterArn"],
        "tagsAll": inputs.get("tags", {}),
    }


def ecs_cluster_capacity_providers(
    ctx: DeployContext, name: str, inputs: dict[str, Any]
) -> Outputs:
    """aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"""
    strategy = [
        drop_none(
            capacityProvider=item["capacityProvider"],
            weight=as_int(item.get("weight")),
            base=as_int(item.get("base")),
        )
        for item in inputs.get("defaultCapacityProviderStrategies") or []
    ]
    ctx.client("ecs").put_cluster_capacity_providers(
        cluster=inputs["clusterName"],
        capacityProviders=list(inputs.get("capacityProviders") or []),
        defaultCapacityProviderStrategy=strategy,
    )
    return inputs["clusterName"], dict(inputs)


def log_group(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:cloudwatch/logGroup:LogGroup"""
    group_name = physical_name(inputs, name, 512)
    logs = ctx.client("logs")
    logs.create_log_group(
        **drop_none(
            logGroupName=group_name,
            kmsKeyId=inputs.get("kmsKeyId"),
            tags=inputs.get("tags") or None,
        )
    )
    if inputs.get("retentionInDays"):
        logs.put_retention_policy(
            logGroupName=group_name, retentionInDays=int(inputs["retentionInDays"])
        )
    return group_name, {
        **inputs,
        "name": group_name,
        "arn": f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:{group_name}",
        "tagsAll": inputs.get("tags", {}),
    }


def iam_role(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:iam/role:Role (id is the role name)."""
    role_name = physical_name(inputs, name, 64)
    policy = inputs["assumeRolePolicy"]
    iam = ctx.client("iam")
    created = iam.create_role(
        **drop_none(
            RoleName=role_name,
            AssumeRolePolicyDocument=policy if isinstance(policy, str) else json.dumps(policy),
            Description=inputs.get("description"),
            Path=inputs.get("path"),
            MaxSessionDuration=as_int(inputs.get("maxSessionDuration")),
            PermissionsBoundary=inputs.get("permissionsBoundary"),
            Tags=tag_list(inputs.get("tags")) or None,
        )
    )["Role"]
    for arn in inputs.get("managedPolicyArns") or []:
        iam.attach_role_policy(RoleName=role_name, PolicyArn=arn)
    return role_name, {
        **inputs,
        "name": role_name,
        "arn": created["Arn"],
        "uniqueId": created["RoleId"],
        "createDate": created["CreateDate"].isoformat(),
        "path": created.get("Path", "/"),
        "tagsAll": inputs.get("tags", {}),
    }


def iam_role_policy_attachment(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:iam/rolePolicyAttachment:RolePolicyAttachment"""
    ctx.client("iam").attach_role_policy(RoleName=inputs["role"], PolicyArn=inputs["policyArn"])
    return f"{inputs['role']}-{secrets.token_hex(4)[:7]}", dict(inputs)


def iam_role_policy(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:iam/rolePolicy:RolePolicy (id is ``<role>:<policy name>``)."""
    policy_name = physical_name(inputs, name, 128)
    policy = inputs["policy"]
    ctx.client("iam").put_role_policy(
        RoleName=inputs["role"],
        PolicyName=policy_name,
        PolicyDocument=policy if isinstance(policy, str) else json.dumps(policy),
    )
    return f"{inputs['role']}:{policy_name}", {**inputs, "name": policy_name}


def ecs_task_definition(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:ecs/taskDefinition:TaskDefinition (id is the family)."""
    definitions = inputs["containerDefinitions"]
    if isinstance(definitions, str):
        definitions = json.loads(definitions)
    platform = inputs.get("runtimePlatform") or {}
    storage = inputs.get("ephemeralStorage") or {}
    created = ctx.client("ecs").register_task_definition(
        **drop_none(
            family=inputs["family"],
            containerDefinitions=definitions,
            cpu=inputs.get("cpu"),
            memory=inputs.get("memory"),
            networkMode=inputs.get("networkMode"),
            requiresCompatibilities=inputs.get("requiresCompatibilities"),
            executionRoleArn=inputs.get("executionRoleArn"),
            taskRoleArn=inputs.get("taskRoleArn"),
            runtimePlatform=drop_none(
                operatingSystemFamily=platform.get("operatingSystemFamily"),
                cpuArchitecture=platform.get("cpuArchitecture"),
            )
            or None,
            ephemeralStorage={"sizeInGiB": int(storage["sizeInGib"])}
            if storage.get("sizeInGib")
            else None,
            volumes=inputs.get("volumes"),
            tags=tag_list(inputs.get("tags"), "key", "value") or None,
        )
    )["taskDefinition"]
    arn = created["taskDefinitionArn"]
    return inputs["family"], {
        **inputs,
        "arn": arn,
        "arnWithoutRevision": arn.rsplit(":", 1)[0],
        "revision": created["revision"],
        "tagsAll": inputs.get("tags", {}),
    }


def ecs_service(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:ecs/service:Service (id is the service ARN, as in the provider)."""
    service_name = physical_name(inputs, name, 255)
    created = ctx.client("ecs").create_service(serviceName=service_name, **service_request(inputs))[
        "service"
    ]
    return created["serviceArn"], {
        **inputs,
        "name": service_name,
        "cluster": created["clusterArn"],
        "tagsAll": inputs.get("tags", {}),
    }


def service_request(inputs: dict[str, Any]) -> dict[str, Any]:
    """The CreateService fields of a service's inputs (UpdateService takes most of them)."""
    network = inputs.get("networkConfiguration")
    breaker = inputs.get("deploymentCircuitBreaker")
    return drop_none(
        cluster=inputs.get("cluster"),
        taskDefinition=inputs.get("taskDefinition"),
        desiredCount=as_int(inputs.get("desiredCount", 1)),
        launchType=inputs.get("launchType"),
        capacityProviderStrategy=[
            drop_none(
                capacityProvider=item["capacityProvider"],
                weight=as_int(item.get("weight")),
                base=as_int(item.get("base")),
            )
            for item in inputs.get("capacityProviderStrategies") or []
        ]
        or None,
        platformVersion=inputs.get("platformVersion"),
        networkConfiguration={
            "awsvpcConfiguration": drop_none(
                subnets=list(network.get("subnets") or []),
                securityGroups=list(network.get("securityGroups") or []) or None,
                assignPublicIp="ENABLED" if network.get("assignPublicIp") else "DISABLED",
            )
        }
        if network
        else None,
        loadBalancers=[
            drop_none(
                targetGroupArn=lb.get("targetGroupArn"),
                containerName=lb.get("containerName"),
                containerPort=as_int(lb.get("containerPort")),
            )
            for lb in inputs.get("loadBalancers") or []
        ]
        or None,
        healthCheckGracePeriodSeconds=as_int(inputs.get("healthCheckGracePeriodSeconds")),
        deploymentConfiguration=drop_none(
            deploymentCircuitBreaker={
                "enable": bool(breaker.get("enable")),
                "rollback": bool(breaker.get("rollback")),
            }
            if breaker
            else None,
            minimumHealthyPercent=as_int(inputs.get("deploymentMinimumHealthyPercent")),
            maximumPercent=as_int(inputs.get("deploymentMaximumPercent")),
        )
        or None,
        propagateTags=inputs.get("propagateTags"),
        enableECSManagedTags=inputs.get("enableEcsManagedTags"),
        enableExecuteCommand=inputs.get("enableExecuteCommand"),
        tags=tag_list(inputs.get("tags"), "key", "value") or None,
    )


HANDLERS = {
    "aws:ecr/repository:Repository": ecr_repository,
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": ecr_lifecycle_policy,
    "aws:ecs/cluster:Cluster": ecs_cluster,
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": ecs_cluster_capacity_providers,
    "aws:cloudwatch/logGroup:LogGroup": log_group,
    "aws:iam/role:Role": iam_role,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": iam_role_policy_attachment,
    "aws:iam/rolePolicy:RolePolicy": iam_role_policy,
    "aws:ecs/taskDefinition:TaskDefinition": ecs_task_definition,
    "aws:ecs/service:Service": ecs_service,
}
