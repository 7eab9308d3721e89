"""The S3 bucket the load balancer writes its access logs to (FSBP ELB.5, CKV_AWS_91).

What "Enable access logs for your Application Load Balancer" (ELB User Guide) requires, and the
S3 controls a log bucket should pass: public access blocked (FSBP S3.1/S3.8), SSE-S3 (the only
encryption ALB log delivery supports), a policy denying requests without TLS (FSBP S3.5) and
letting only the region's log delivery principal put objects under ``<prefix>/AWSLogs/<account>/``,
and a lifecycle rule expiring logs after the app's log retention.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from .aws_context import AwsContext
from .name_rules import S3_BUCKET
from .naming import derived_name
from .settings import LoadBalancerSettings
from .unknowns import known_all

LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"
"""The principal that writes access logs in Regions that opened in or after August 2022."""

ELB_ACCOUNT_BY_REGION: dict[str, str] = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-southeast-3": "589379963580",
    "ap-south-1": "718504428378",
    "ap-northeast-3": "383597477331",
    "ap-northeast-2": "600734575887",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-south-1": "635631232127",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
    "cn-north-1": "638102146993",
    "cn-northwest-1": "037604701340",
}
"""The Elastic Load Balancing account of each Region available before August 2022 (ELB User
Guide, "Enable access logs", Step 2): log delivery there writes as this account's root."""


def access_logs_prefix(name: str) -> str:
    """The key prefix of the app's logs in the bucket: the app name."""
    return name


def log_delivery_principal(region: str, partition: str) -> dict[str, str]:
    """Who writes the access logs in ``region``: the regional ELB account, else the service."""
    account = ELB_ACCOUNT_BY_REGION.get(region)
    if account is None:
        return {"Service": LOG_DELIVERY_SERVICE}
    return {"AWS": f"arn:{partition}:iam::{account}:root"}


def bucket_policy(
    bucket_arn: str, prefix: str, account_id: str, region: str, partition: str
) -> str:
    """TLS only, and log delivery may put objects under ``<prefix>/AWSLogs/<account>/``."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyRequestsWithoutTls",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {
                    "Sid": "LoadBalancerLogDelivery",
                    "Effect": "Allow",
                    "Principal": log_delivery_principal(region, partition),
                    "Action": "s3:PutObject",
                    "Resource": f"{bucket_arn}/{prefix}/AWSLogs/{account_id}/*",
                },
            ],
        }
    )


def access_logs_bucket(
    name: str,
    settings: LoadBalancerSettings,
    context: AwsContext,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> tuple[aws.s3.Bucket, aws.s3.BucketPolicy]:
    """The bucket and its settings; the load balancer must wait for the returned policy (AWS
    checks that it may write when access logs are switched on)."""
    bucket = aws.s3.Bucket(
        f"{name}-access-logs",
        bucket=derived_name(
            S3_BUCKET,
            f"{name}-{pulumi.get_stack()}-access-logs",
            context.account_id,
            context.region,
        ),
        force_destroy=settings.force_destroy_access_logs,
        tags=tags,
        opts=opts,
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{name}-access-logs",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-access-logs",
        bucket=bucket.id,
        rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
        opts=opts,
    )
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-access-logs",
        bucket=bucket.id,
        rules=[
            {
                "id": "expire-access-logs",
                "status": "Enabled",
                "filter": {"prefix": ""},
                "expiration": {"days": settings.access_logs_retention_days},
                "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
            }
        ],
        opts=opts,
    )
    policy = aws.s3.BucketPolicy(
        f"{name}-access-logs",
        bucket=bucket.id,
        policy=known_all(bucket.arn, context.account_id, context.region, context.partition).apply(
            lambda parts: bucket_policy(parts[0], access_logs_prefix(name), *parts[1:])
        ),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[public_access])),
    )
    return bucket, policy
