"""The prod security controls of issue 13: the KMS key and what it encrypts, the WAF web ACL, the
access-log bucket, the default network ACL, and their args' validation."""

from __future__ import annotations

import json

import pytest

from components import FargateAppConfigError, resolve_settings
from components.access_logs import LOG_DELIVERY_SERVICE, log_delivery_principal
from components.name_rules import S3_BUCKET

CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/x"
PROD = {"profile": "prod", "load_balancer": {"certificate_arn": CERTIFICATE}}
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
WEB_ACL = (
    "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/shared/"
    "a1b2c3d4-5678-90ab-cdef-0123456789ab"
)
KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
REPOSITORY = "aws:ecr/repository:Repository"
WEB_ACL_TYPE = "aws:wafv2/webAcl:WebAcl"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
BUCKET = "aws:s3/bucket:Bucket"
LB = "aws:lb/loadBalancer:LoadBalancer"
NACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"


def test_prod_encrypts_both_log_groups_and_the_repository_with_one_rotating_key(app):
    result = app(PROD)
    key = result.one(KEY)
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    log_groups = result.of_type(LOG_GROUP)
    assert {g.inputs["name"] for g in log_groups} == {"/ecs/web-test", "/vpc/web-test/flow-logs"}
    assert {g.inputs["kmsKeyId"] for g in log_groups} == {key.outputs["arn"]}
    assert all(key.urn in g.dependencies for g in log_groups)
    repository = result.one(REPOSITORY)
    assert repository.inputs["encryptionConfigurations"] == [
        {"encryptionType": "KMS", "kmsKey": key.outputs["arn"]}
    ]
    assert repository.ignore_changes == ("encryptionConfigurations",)
    assert result.one("aws:kms/alias:Alias").inputs["name"] == "alias/web-test"


def test_the_key_policy_lets_logs_use_it_for_exactly_the_apps_log_groups(app):
    policy = json.loads(app(PROD).one(KEY).inputs["policy"])
    admin, logs, ecr = policy["Statement"]
    assert admin["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert logs["Action"] == [
        "kms:Encrypt*",
        "kms:Decrypt*",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:Describe*",
    ]
    assert logs["Condition"] == {
        "ArnEquals": {
            "kms:EncryptionContext:aws:logs:arn": [
                "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/web-test",
                "arn:aws:logs:us-east-1:123456789012:log-group:/vpc/web-test/flow-logs",
            ]
        }
    }
    assert ecr["Condition"]["StringEquals"] == {
        "kms:CallerAccount": "123456789012",
        "kms:ViaService": "ecr.us-east-1.amazonaws.com",
    }


def test_dev_keeps_aws_managed_encryption_unless_asked(app):
    result = app({})
    assert result.of_type(KEY) == []
    assert all("kmsKeyId" not in g.inputs for g in result.of_type(LOG_GROUP))
    assert result.one(REPOSITORY).inputs["encryptionConfigurations"] == [
        {"encryptionType": "AES256"}
    ]
    asked = app({"kms_encryption": True})
    (log_group,) = asked.of_type(LOG_GROUP)
    assert log_group.inputs["kmsKeyId"] == asked.one(KEY).outputs["arn"]
    scoped = json.loads(asked.one(KEY).inputs["policy"])["Statement"][1]["Condition"]
    assert scoped["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"] == [
        "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/web-test"
    ]


def test_a_key_brought_along_is_used_and_none_is_created(app):
    result = app({"kms_key_arn": KEY_ARN})
    assert result.of_type(KEY) == []
    assert result.one(LOG_GROUP).inputs["kmsKeyId"] == KEY_ARN
    assert result.one(REPOSITORY).inputs["encryptionConfigurations"][0]["kmsKey"] == KEY_ARN


def test_the_web_acl_guards_the_internet_facing_alb_in_prod(app):
    result = app({**PROD, "waf": {"rate_limit": 500}})
    acl = result.one(WEB_ACL_TYPE)
    assert acl.inputs["scope"] == "REGIONAL"
    assert acl.inputs["defaultAction"] == {"allow": {}}
    rules = acl.inputs["rules"]
    assert [(r["name"], r["priority"]) for r in rules] == [
        ("rate-limit-per-ip", 0),
        ("AWSManagedRulesCommonRuleSet", 1),
        ("AWSManagedRulesKnownBadInputsRuleSet", 2),
    ]
    assert rules[0]["statement"]["rateBasedStatement"] == {
        "limit": 500,
        "aggregateKeyType": "IP",
        "evaluationWindowSec": 300,
    }
    assert rules[0]["action"] == {"block": {}}
    assert rules[1]["overrideAction"] == {"none": {}}
    for visibility in [acl.inputs["visibilityConfig"], *(r["visibilityConfig"] for r in rules)]:
        assert visibility["cloudwatchMetricsEnabled"] is True
        assert visibility["sampledRequestsEnabled"] is True
    association = result.one(ASSOCIATION)
    assert association.inputs["resourceArn"] == result.one(LB).outputs["arn"]
    assert association.inputs["webAclArn"] == acl.outputs["arn"]


@pytest.mark.parametrize(
    "args",
    [{}, {"profile": "prod", "load_balancer": {"internal": True}}],
    ids=["dev", "prod-internal"],
)
def test_no_web_acl_in_dev_or_for_an_internal_alb(app, args):
    assert app(args).of_type(ASSOCIATION) == []


def test_a_web_acl_brought_along_is_only_associated(app):
    result = app({"waf": {"web_acl_arn": WEB_ACL}})
    assert result.of_type(WEB_ACL_TYPE) == []
    assert result.one(ASSOCIATION).inputs["webAclArn"] == WEB_ACL


def test_prod_access_logs_go_to_a_bucket_the_alb_waits_for(app):
    result = app(PROD)
    bucket = result.one(BUCKET)
    assert S3_BUCKET.allows(bucket.inputs["bucket"])
    assert bucket.inputs["forceDestroy"] is False
    alb = result.one(LB)
    assert alb.inputs["accessLogs"] == {
        "bucket": bucket.outputs["bucket"],
        "enabled": True,
        "prefix": "web",
    }
    policy = result.one("aws:s3/bucketPolicy:BucketPolicy")
    assert policy.urn in alb.dependencies
    document = json.loads(policy.inputs["policy"])
    deny, delivery = document["Statement"]
    assert (deny["Effect"], deny["Condition"]) == (
        "Deny",
        {"Bool": {"aws:SecureTransport": "false"}},
    )
    assert delivery["Principal"] == {"AWS": "arn:aws:iam::127311923021:root"}
    assert delivery["Resource"] == f"{bucket.outputs['arn']}/web/AWSLogs/123456789012/*"
    block = result.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(
        block.inputs[flag]
        for flag in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    sse = result.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    assert sse.inputs["rules"] == [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
    ]
    lifecycle = result.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert lifecycle.inputs["rules"][0]["expiration"] == {"days": 365}


def test_dev_asked_for_access_logs_empties_its_bucket_on_destroy(app):
    result = app({"load_balancer": {"access_logs": True}, "log_retention_days": 14})
    assert result.one(BUCKET).inputs["forceDestroy"] is True
    lifecycle = result.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert lifecycle.inputs["rules"][0]["expiration"] == {"days": 14}
    assert app({}).of_type(BUCKET) == []


def test_a_bucket_brought_along_gets_the_logs_and_none_is_created(app):
    result = app({"load_balancer": {"access_logs_bucket": "team-alb-logs"}})
    assert result.of_type(BUCKET) == []
    assert result.one(LB).inputs["accessLogs"]["bucket"] == "team-alb-logs"


def test_log_delivery_is_the_regional_elb_account_or_the_service_in_newer_regions():
    assert log_delivery_principal("eu-west-1", "aws") == {"AWS": "arn:aws:iam::156460612806:root"}
    assert log_delivery_principal("ap-south-2", "aws") == {"Service": LOG_DELIVERY_SERVICE}


def test_the_default_network_acl_denies_ssh_and_rdp_before_allowing_the_rest(app):
    result = app({})
    acl = result.one(NACL)
    vpc = result.one("aws:ec2/vpc:Vpc")
    assert acl.inputs["defaultNetworkAclId"] == vpc.outputs["defaultNetworkAclId"]
    subnets = {s.outputs["id"] for s in result.of_type("aws:ec2/subnet:Subnet")}
    assert set(acl.inputs["subnetIds"]) == subnets
    ingress = sorted(acl.inputs["ingress"], key=lambda rule: rule["ruleNo"])
    assert ingress[0] == {
        "ruleNo": 90,
        "action": "allow",
        "protocol": "-1",
        "fromPort": 0,
        "toPort": 0,
        "cidrBlock": "10.0.0.0/16",
    }
    denies = [rule for rule in ingress if rule["action"] == "deny"]
    assert {
        (r["fromPort"], r["toPort"], r["protocol"], r.get("cidrBlock") or r["ipv6CidrBlock"])
        for r in denies
    } == {
        (port, port, protocol, cidr)
        for port in (22, 3389)
        for protocol in ("tcp", "udp")
        for cidr in ("0.0.0.0/0", "::/0")
    }
    world_allows = [r["ruleNo"] for r in ingress if r["action"] == "allow" and r["ruleNo"] > 90]
    assert max(r["ruleNo"] for r in denies) < min(world_allows)
    assert {(r["action"], r["protocol"]) for r in acl.inputs["egress"]} == {("allow", "-1")}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            {"kms_key_arn": "alias/mine"},
            "FargateApp kms_key_arn: 'alias/mine' is not allowed; expected a KMS key ARN "
            "(arn:aws:kms:<region>:<account>:key/<key id>), not an alias",
        ),
        (
            {"kms_key_arn": KEY_ARN, "kms_encryption": False},
            "FargateApp kms_encryption: False is not allowed; kms_key_arn is set: remove it or "
            "set kms_encryption: true",
        ),
        (
            {"waf": {"rate_limit": 5}},
            "FargateApp waf.rate_limit: 5 is not allowed; expected a whole number from 10 to "
            "2000000000",
        ),
        (
            {"waf": {"web_acl_arn": "arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/y"}},
            "FargateApp waf.web_acl_arn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/y' "
            "is not allowed; expected a REGIONAL WAFv2 web ACL ARN "
            "(arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>)",
        ),
        (
            {"waf": {"web_acl_arn": WEB_ACL, "enabled": False}},
            "FargateApp waf.enabled: False is not allowed; waf.web_acl_arn is set: remove it or "
            "set enabled: true",
        ),
        ({"waf": {"limit": 100}}, "FargateApp waf.limit: unknown setting; allowed keys: enabled,"),
        (
            {"load_balancer": {"access_logs_bucket": "logs-1", "access_logs": False}},
            "FargateApp load_balancer.access_logs: False is not allowed; "
            "load_balancer.access_logs_bucket is set: remove it or set access_logs: true",
        ),
        (
            {"kms_encryption": "yes"},
            "FargateApp kms_encryption: 'yes' is not allowed; expected true or false",
        ),
    ],
)
def test_bad_security_args_are_one_line_errors_before_anything_is_created(args, message):
    with pytest.raises(FargateAppConfigError) as caught:
        resolve_settings(args)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)
