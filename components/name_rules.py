"""AWS's rules for the names the FargateApp gives its resources: the one home of each rule.

Each rule is data (length, alphabet, forbidden prefixes) copied from AWS's API references;
``naming`` derives names that satisfy them, validation checks the app name against
``APP_NAME``, and the tests check every name the component registers against ``NAME_RULES``.
Sources (AWS API Reference pages): IAM ``CreateRole`` (RoleName, Description) and
``PutRolePolicy`` (PolicyName); EC2 ``CreateSecurityGroup`` (GroupName, Description); ECR
``CreateRepository`` (repositoryName); ECS ``CreateCluster``, ``CreateService``,
``RegisterTaskDefinition`` (family); CloudWatch Logs ``CreateLogGroup``; ELBv2
``CreateLoadBalancer`` and ``CreateTargetGroup`` (Name); and "Tagging your AWS resources" (tag
values) for the app name, which every resource carries as its ``app`` tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .fargate_limits import ELB_NAME_MAX

AUTONAME_SUFFIX_LENGTH = 8
"""Pulumi's auto-name suffix: a dash and 7 random hex digits after the logical name."""

AUTONAME_EXAMPLE_SUFFIX = "-" + "0" * (AUTONAME_SUFFIX_LENGTH - 1)
"""A suffix of that shape (hex digits are in every alphabet below)."""


@dataclass(frozen=True)
class NameRule:
    """What AWS accepts for one name: ``min_length`` to ``max_length`` characters matching
    ``pattern`` in full, not starting with any of ``forbidden_prefixes`` (case-insensitively)."""

    what: str
    max_length: int
    pattern: str
    min_length: int = 1
    forbidden_prefixes: tuple[str, ...] = ()
    outside_alphabet: str = r"[^A-Za-z0-9-]"
    """Characters ``naming`` replaces when it derives a name or text for this rule."""
    lowercase: bool = False
    ascii_only: bool = True
    """``\\w`` means ASCII letters, digits and ``_`` (AWS's patterns), else any script's."""
    _compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_compiled", re.compile(self.pattern, re.ASCII if self.ascii_only else 0)
        )

    def problems(self, name: str) -> list[str]:
        """Why AWS would refuse ``name`` (empty when it accepts it)."""
        found = []
        if not self.min_length <= len(name) <= self.max_length:
            found.append(f"{len(name)} characters, not {self.min_length} to {self.max_length}")
        if not self._compiled.fullmatch(name):
            found.append(f"does not match {self.pattern}")
        found += [
            f"starts with {prefix!r}"
            for prefix in self.forbidden_prefixes
            if name.lower().startswith(prefix)
        ]
        return found

    def allows(self, name: str) -> bool:
        """True when AWS accepts ``name``."""
        return not self.problems(name)


IAM_NAME = r"[\w+=,.@-]+"
SECURITY_GROUP_TEXT = r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*"
ECS_NAME = r"[A-Za-z0-9_-]+"
# CreateTargetGroup's validation pattern, (?!.*--)(?!^-)(?!.*-$)^[A-Za-z0-9-]+$ (as AWS and the
# emulator report it): no hyphen first, last or twice in a row; applied to load balancers too.
ELB_NAME = r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*"

IAM_ROLE = NameRule("IAM role name", 64, IAM_NAME)
IAM_ROLE_POLICY = NameRule("IAM role policy name", 128, IAM_NAME)
IAM_ROLE_DESCRIPTION = NameRule(
    "IAM role description",
    1000,
    r"[\t\n\r\u0020-\u007E\u00A1-\u00FF]*",
    min_length=0,
    outside_alphabet=r"[^\t\n\r\u0020-\u007E\u00A1-\u00FF]",
)
SECURITY_GROUP = NameRule(
    "security group name",
    255,
    SECURITY_GROUP_TEXT,
    forbidden_prefixes=("sg-",),
)
SECURITY_GROUP_DESCRIPTION = NameRule(
    "security group description",
    255,
    SECURITY_GROUP_TEXT,
    min_length=0,
    outside_alphabet=r"[^a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]",
)
ECR_REPOSITORY = NameRule(
    "ECR repository name",
    256,
    r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*",
    min_length=2,
    lowercase=True,
)
ECS_CLUSTER = NameRule("ECS cluster name", 255, ECS_NAME)
ECS_SERVICE = NameRule("ECS service name", 255, ECS_NAME)
ECS_FAMILY = NameRule("ECS task definition family", 255, ECS_NAME)
LOG_GROUP = NameRule("CloudWatch log group name", 512, r"[\.\-_/#A-Za-z0-9]+")
LOAD_BALANCER = NameRule(
    "load balancer name", ELB_NAME_MAX, ELB_NAME, forbidden_prefixes=("internal-",)
)
TARGET_GROUP = NameRule("target group name", ELB_NAME_MAX, ELB_NAME)
WEB_ACL = NameRule("WAF web ACL name", 128, r"[\w-]+", outside_alphabet=r"[^A-Za-z0-9_-]")
S3_BUCKET = NameRule(
    "S3 bucket name",
    63,
    r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?",
    min_length=3,
    forbidden_prefixes=("xn--", "sthree-", "amzn-s3-demo-"),
    lowercase=True,
)
"""General purpose bucket names (S3 User Guide, "Bucket naming rules"), without dots (a dotted
name breaks virtual-hosted-style TLS)."""

NAME_RULES: dict[tuple[str, str], NameRule] = {
    ("aws:iam/role:Role", "name"): IAM_ROLE,
    ("aws:iam/role:Role", "description"): IAM_ROLE_DESCRIPTION,
    ("aws:iam/rolePolicy:RolePolicy", "name"): IAM_ROLE_POLICY,
    ("aws:ec2/securityGroup:SecurityGroup", "name"): SECURITY_GROUP,
    ("aws:ec2/securityGroup:SecurityGroup", "description"): SECURITY_GROUP_DESCRIPTION,
    ("aws:ecr/repository:Repository", "name"): ECR_REPOSITORY,
    ("aws:ecs/cluster:Cluster", "name"): ECS_CLUSTER,
    ("aws:ecs/service:Service", "name"): ECS_SERVICE,
    ("aws:ecs/taskDefinition:TaskDefinition", "family"): ECS_FAMILY,
    ("aws:cloudwatch/logGroup:LogGroup", "name"): LOG_GROUP,
    ("aws:lb/loadBalancer:LoadBalancer", "name"): LOAD_BALANCER,
    ("aws:lb/targetGroup:TargetGroup", "name"): TARGET_GROUP,
    ("aws:wafv2/webAcl:WebAcl", "name"): WEB_ACL,
    ("aws:s3/bucket:Bucket", "bucket"): S3_BUCKET,
}
"""The rule of each (resource type, property) the component names, by Pulumi type token."""

AUTONAMED: frozenset[str] = frozenset(
    {"aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "aws:ec2/securityGroup:SecurityGroup"}
)
"""Types whose ``name`` the component leaves to Pulumi's auto-naming when the auto-name fits."""

APP_NAME = NameRule(
    "app name",
    128,
    r"[\w .:/=+@-]+",
    ascii_only=False,
)
"""The app name is the ``app`` tag of every resource: AWS's common tag-value alphabet (letters,
digits, spaces and ``_.:/=+-@``; any script), and short enough for every derived tag value."""
