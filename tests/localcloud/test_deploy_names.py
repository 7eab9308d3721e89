"""The emulated deploy of an awkward app name: the names it creates in AWS are the ones the
component derives, and each satisfies AWS's rule for it."""

from __future__ import annotations

from components.name_rules import (
    AUTONAME_SUFFIX_LENGTH,
    ECR_REPOSITORY,
    ECS_CLUSTER,
    ECS_SERVICE,
    IAM_ROLE,
    SECURITY_GROUP,
)

from .test_deploy_e2e import LOCALSTACK, converged, wait_until

AWKWARD = "sg-Ñandú café.v2"


def test_an_awkward_app_name_deploys_with_names_aws_accepts(deployed_stack, aws_client):
    outputs = deployed_stack(LOCALSTACK, **{"fargate-app:name": AWKWARD})
    wait_until(lambda: converged(aws_client, outputs), "the service's tasks to run")

    role = aws_client("iam").get_role(RoleName=outputs["task_role_name"])["Role"]
    assert IAM_ROLE.allows(role["RoleName"])
    assert role["RoleName"].startswith("sg-Nandu-cafe-v2-task-")
    groups = aws_client("ec2").describe_security_groups(
        GroupIds=[outputs["task_security_group_id"], outputs["load_balancer_security_group_id"]]
    )["SecurityGroups"]
    assert all(SECURITY_GROUP.allows(group["GroupName"]) for group in groups)
    repository = outputs["repository_url"].split("/", 1)[1]
    assert ECR_REPOSITORY.allows(repository)
    assert aws_client("ecr").describe_repositories(repositoryNames=[repository])["repositories"]
    assert ECS_CLUSTER.allows(outputs["cluster_name"])
    assert ECS_SERVICE.allows(outputs["service_name"])


def test_a_name_valid_today_is_auto_named_as_pulumi_does(deployed_stack, aws_client):
    outputs = deployed_stack(LOCALSTACK)
    name = outputs["task_role_name"]
    assert name.startswith("web-task-")
    assert len(name) == len("web-task") + AUTONAME_SUFFIX_LENGTH
