"""KMS keys and aliases, WAFv2 web ACLs and their associations, and S3 buckets with their
settings (public access block, encryption, lifecycle, policy) of the emulated deploy.

Each handler makes the AWS calls the pulumi-aws provider would make and returns
``(id, outputs)`` with the provider's property names (camelCase, as Pulumi mocks see them).
"""

from __future__ import annotations

import json
from typing import Any

from localcloud.deploy.context import DeployContext, drop_none, physical_name, tag_list

Outputs = tuple[str, dict[str, Any]]


def _document(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def kms_key(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:kms/key:Key (id is the key id), with rotation as asked."""
    kms = ctx.client("kms")
    metadata = kms.create_key(
        **drop_none(
            Description=inputs.get("description"),
            Policy=_document(inputs["policy"]) if inputs.get("policy") else None,
            KeyUsage=inputs.get("keyUsage"),
            Tags=tag_list(inputs.get("tags"), "TagKey", "TagValue") or None,
        )
    )["KeyMetadata"]
    key_id = metadata["KeyId"]
    if inputs.get("enableKeyRotation"):
        kms.enable_key_rotation(KeyId=key_id)
    return key_id, {
        **inputs,
        "arn": metadata["Arn"],
        "keyId": key_id,
        "tagsAll": inputs.get("tags", {}),
    }


def kms_alias(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:kms/alias:Alias (id is the alias name)."""
    alias = inputs["name"]
    ctx.client("kms").create_alias(AliasName=alias, TargetKeyId=inputs["targetKeyId"])
    return alias, {
        **inputs,
        "arn": f"arn:aws:kms:{ctx.region}:{ctx.account_id}:{alias}",
        "targetKeyArn": f"arn:aws:kms:{ctx.region}:{ctx.account_id}:key/{inputs['targetKeyId']}",
    }


_WAF_KEYS = {"cloudwatchMetricsEnabled": "CloudWatchMetricsEnabled"}


def _waf_shape(value: Any) -> Any:
    """Provider-shaped WAF blocks (``rateBasedStatement``) in the API's shape
    (``RateBasedStatement``), recursively."""
    if isinstance(value, dict):
        return {
            _WAF_KEYS.get(key, key[:1].upper() + key[1:]): _waf_shape(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_waf_shape(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def web_acl(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:wafv2/webAcl:WebAcl (id is the web ACL's id)."""
    acl_name = physical_name(inputs, name, 128)
    summary = ctx.client("wafv2").create_web_acl(
        **drop_none(
            Name=acl_name,
            Scope=inputs["scope"],
            DefaultAction=_waf_shape(inputs["defaultAction"]),
            Description=inputs.get("description"),
            Rules=_waf_shape(inputs.get("rules") or []),
            VisibilityConfig=_waf_shape(inputs["visibilityConfig"]),
            Tags=tag_list(inputs.get("tags")) or None,
        )
    )["Summary"]
    return summary["Id"], {
        **inputs,
        "name": acl_name,
        "arn": summary["ARN"],
        "lockToken": summary.get("LockToken"),
        "tagsAll": inputs.get("tags", {}),
    }


def web_acl_association(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:wafv2/webAclAssociation:WebAclAssociation (id: ``<web ACL ARN>,<resource ARN>``)."""
    ctx.client("wafv2").associate_web_acl(
        WebACLArn=inputs["webAclArn"], ResourceArn=inputs["resourceArn"]
    )
    return f"{inputs['webAclArn']},{inputs['resourceArn']}", dict(inputs)


def s3_bucket(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:s3/bucket:Bucket (id is the bucket name)."""
    bucket = inputs.get("bucket") or physical_name({}, name, 63, lowercase=True)
    s3 = ctx.client("s3")
    location = (
        {"CreateBucketConfiguration": {"LocationConstraint": ctx.region}}
        if ctx.region != "us-east-1"
        else {}
    )
    s3.create_bucket(Bucket=bucket, **location)
    if inputs.get("tags"):
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tag_list(inputs["tags"])})
    return bucket, {
        **inputs,
        "bucket": bucket,
        "arn": f"arn:aws:s3:::{bucket}",
        "bucketDomainName": f"{bucket}.s3.amazonaws.com",
        "region": ctx.region,
        "forceDestroy": bool(inputs.get("forceDestroy", False)),
        "tagsAll": inputs.get("tags", {}),
    }


def s3_public_access_block(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock (id is the bucket name)."""
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    ctx.client("s3").put_public_access_block(
        Bucket=inputs["bucket"],
        PublicAccessBlockConfiguration={
            flag[:1].upper() + flag[1:]: bool(inputs.get(flag, False)) for flag in flags
        },
    )
    return inputs["bucket"], dict(inputs)


def s3_encryption(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"""
    rules = [
        {
            "ApplyServerSideEncryptionByDefault": drop_none(
                SSEAlgorithm=rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"],
                KMSMasterKeyID=rule["applyServerSideEncryptionByDefault"].get("kmsMasterKeyId"),
            ),
            **drop_none(BucketKeyEnabled=rule.get("bucketKeyEnabled")),
        }
        for rule in inputs["rules"]
    ]
    ctx.client("s3").put_bucket_encryption(
        Bucket=inputs["bucket"], ServerSideEncryptionConfiguration={"Rules": rules}
    )
    return inputs["bucket"], dict(inputs)


def s3_lifecycle(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration (expiry rules)."""
    rules = []
    for rule in inputs["rules"]:
        expiration = rule.get("expiration") or {}
        abort = rule.get("abortIncompleteMultipartUpload") or {}
        rules.append(
            drop_none(
                ID=rule["id"],
                Status=rule["status"],
                Filter={"Prefix": (rule.get("filter") or {}).get("prefix", "")},
                Expiration={"Days": int(expiration["days"])} if expiration.get("days") else None,
                AbortIncompleteMultipartUpload={
                    "DaysAfterInitiation": int(abort["daysAfterInitiation"])
                }
                if abort.get("daysAfterInitiation")
                else None,
            )
        )
    ctx.client("s3").put_bucket_lifecycle_configuration(
        Bucket=inputs["bucket"], LifecycleConfiguration={"Rules": rules}
    )
    return inputs["bucket"], dict(inputs)


def s3_bucket_policy(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:s3/bucketPolicy:BucketPolicy (id is the bucket name)."""
    ctx.client("s3").put_bucket_policy(Bucket=inputs["bucket"], Policy=_document(inputs["policy"]))
    return inputs["bucket"], dict(inputs)


HANDLERS = {
    "aws:kms/key:Key": kms_key,
    "aws:kms/alias:Alias": kms_alias,
    "aws:wafv2/webAcl:WebAcl": web_acl,
    "aws:wafv2/webAclAssociation:WebAclAssociation": web_acl_association,
    "aws:s3/bucket:Bucket": s3_bucket,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": s3_public_access_block,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        s3_encryption
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": s3_lifecycle,
    "aws:s3/bucketPolicy:BucketPolicy": s3_bucket_policy,
}
