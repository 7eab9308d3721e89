"""End to end: the prod stack's security controls deployed into the local cloud, read back
through boto3 — the KMS key and what it encrypts, the WAF web ACL on the ALB, the access-log
bucket and its settings, the default network ACL, the execution role's inline policy and the
non-blocking log driver."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.access_logs import ELB_ACCOUNT_BY_REGION
from components.waf import MANAGED_RULE_GROUPS

from .test_deploy_e2e import PROD, service_of

ACCOUNT = "123456789012"


def with_certificate(cloud: Any) -> dict[str, Any]:
    """The prod stack's HTTPS listener needs a certificate: one requested from ACM."""
    certificate = cloud.client("acm").request_certificate(DomainName="app.example.com")
    return {"fargate-app:loadBalancer": {"certificateArn": certificate["CertificateArn"]}}


@pytest.fixture
def prod_stack(shared_stack) -> dict[str, Any]:
    """The prod stack, deployed once for the tests of this module (they only read it)."""
    return shared_stack(PROD, prepare=with_certificate)


def _document(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else value


def test_one_rotating_key_encrypts_both_log_groups_and_the_repository(prod_stack, aws_client):
    kms = aws_client("kms")
    [key] = kms.list_keys()["Keys"]
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True
    aliases = [a for a in kms.list_aliases()["Aliases"] if a.get("TargetKeyId") == key["KeyId"]]
    assert [a["AliasName"] for a in aliases] == ["alias/web-prod"]
    groups = {g["logGroupName"]: g for g in aws_client("logs").describe_log_groups()["logGroups"]}
    assert set(groups) == {"/ecs/web-prod", "/vpc/web-prod/flow-logs"}
    assert {g["kmsKeyId"] for g in groups.values()} == {key["KeyArn"]}
    [repository] = aws_client("ecr").describe_repositories()["repositories"]
    assert repository["encryptionConfiguration"] == {
        "encryptionType": "KMS",
        "kmsKey": key["KeyArn"],
    }
    policy = _document(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    logs = next(s for s in policy["Statement"] if s["Sid"].startswith("CloudWatchLogs"))
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    scoped = logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]
    assert scoped == [
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/ecs/web-prod",
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/vpc/web-prod/flow-logs",
    ]
    assert sorted(g["arn"].removesuffix(":*") for g in groups.values()) == sorted(scoped)


def test_the_waf_web_acl_guards_the_public_load_balancer(prod_stack, aws_client):
    elbv2, wafv2 = aws_client("elbv2"), aws_client("wafv2")
    [load_balancer] = elbv2.describe_load_balancers()["LoadBalancers"]
    acl = wafv2.get_web_acl_for_resource(ResourceArn=load_balancer["LoadBalancerArn"])["WebACL"]
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    assert list(rules) == ["rate-limit-per-ip", *MANAGED_RULE_GROUPS]
    rate = rules["rate-limit-per-ip"]["Statement"]["RateBasedStatement"]
    assert (rate["Limit"], rate["AggregateKeyType"]) == (2000, "IP")
    assert rules["rate-limit-per-ip"]["Action"] == {"Block": {}}
    for group in MANAGED_RULE_GROUPS:
        statement = rules[group]["Statement"]["ManagedRuleGroupStatement"]
        assert (statement["VendorName"], statement["Name"]) == ("AWS", group)
    for visibility in [acl["VisibilityConfig"], *(r["VisibilityConfig"] for r in acl["Rules"])]:
        assert visibility["CloudWatchMetricsEnabled"] is True
        assert visibility["SampledRequestsEnabled"] is True
    assert acl["DefaultAction"] == {"Allow": {}}


def test_access_logs_go_to_a_private_tls_only_bucket_that_expires_them(prod_stack, aws_client):
    elbv2, s3 = aws_client("elbv2"), aws_client("s3")
    [load_balancer] = elbv2.describe_load_balancers()["LoadBalancers"]
    attributes = {
        a["Key"]: a["Value"]
        for a in elbv2.describe_load_balancer_attributes(
            LoadBalancerArn=load_balancer["LoadBalancerArn"]
        )["Attributes"]
    }
    bucket = attributes["access_logs.s3.bucket"]
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["access_logs.s3.prefix"] == "web"
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [bucket]
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    [sse] = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert sse["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    [expiry] = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert (expiry["Status"], expiry["Expiration"]["Days"]) == ("Enabled", 365)
    policy = _document(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    deny, delivery = policy["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert delivery["Principal"] == {
        "AWS": f"arn:aws:iam::{ELB_ACCOUNT_BY_REGION['us-east-1']}:root"
    }
    assert delivery["Action"] == "s3:PutObject"
    assert delivery["Resource"] == f"arn:aws:s3:::{bucket}/web/AWSLogs/{ACCOUNT}/*"


def test_the_default_network_acl_denies_ssh_and_rdp_from_anywhere(prod_stack, aws_client):
    ec2 = aws_client("ec2")
    [acl] = ec2.describe_network_acls(
        Filters=[
            {"Name": "vpc-id", "Values": [prod_stack["vpc_id"]]},
            {"Name": "default", "Values": ["true"]},
        ]
    )["NetworkAcls"]
    ingress = sorted(
        (e for e in acl["Entries"] if not e["Egress"] and e["RuleNumber"] != 32767),
        key=lambda e: e["RuleNumber"],
    )
    denied = {
        (e["PortRange"]["From"], e["Protocol"], e.get("CidrBlock") or e.get("Ipv6CidrBlock"))
        for e in ingress
        if e["RuleAction"] == "deny"
    }
    assert denied == {
        (port, protocol, cidr)
        for port in (22, 3389)
        for protocol in ("6", "17")
        for cidr in ("0.0.0.0/0", "::/0")
    }
    first_world_allow = min(
        e["RuleNumber"]
        for e in ingress
        if e["RuleAction"] == "allow"
        and (e.get("CidrBlock") or e.get("Ipv6CidrBlock")) in ("0.0.0.0/0", "::/0")
    )
    assert all(e["RuleNumber"] < first_world_allow for e in ingress if e["RuleAction"] == "deny")
    subnets = {a["SubnetId"] for a in acl["Associations"]}
    assert set(prod_stack["public_subnet_ids"]) | set(prod_stack["private_subnet_ids"]) <= subnets


def test_the_execution_role_has_only_its_scoped_inline_policies(prod_stack, aws_client):
    iam = aws_client("iam")
    role = prod_stack["execution_role_name"]
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    names = iam.list_role_policies(RoleName=role)["PolicyNames"]
    execution = next(name for name in names if name.startswith("web-execution"))
    document = _document(iam.get_role_policy(RoleName=role, PolicyName=execution)["PolicyDocument"])
    on_everything = [s["Action"] for s in document["Statement"] if s["Resource"] == "*"]
    assert on_everything == [["ecr:GetAuthorizationToken"]]
    [repository] = aws_client("ecr").describe_repositories()["repositories"]
    pull = next(s for s in document["Statement"] if s["Sid"] == "PullTheTasksImages")
    assert pull["Resource"] == [repository["repositoryArn"]]
    logs = next(s for s in document["Statement"] if s["Sid"] == "WriteTheAppsLogStreams")
    assert logs["Resource"] == (
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{prod_stack['log_group_name']}:log-stream:*"
    )


def test_every_container_logs_without_blocking(prod_stack, aws_client):
    definition = aws_client("ecs").describe_task_definition(
        taskDefinition=prod_stack["task_definition_arn"]
    )["taskDefinition"]
    for container in definition["containerDefinitions"]:
        options = container["logConfiguration"]["options"]
        assert (options["mode"], options["max-buffer-size"]) == ("non-blocking", "25m")
    assert service_of(aws_client, prod_stack)["status"] == "ACTIVE"
