"""Physical names that fit AWS's rules (``name_rules``) for any app name.

Pulumi derives logical names from the app name; AWS caps some physical names (ALB and target group:
32 characters) and restricts their alphabet. A name that satisfies its rule is used as it is, so
existing stacks keep every name; otherwise the name is derived: a readable, sanitized prefix plus
a short stable hash, so any app name works and two stacks never collide.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import pulumi

from .fargate_limits import ELB_NAME_MAX
from .name_rules import AUTONAME_EXAMPLE_SUFFIX, ECR_REPOSITORY, LOAD_BALANCER, NameRule

HASH_LENGTH = 7


def short_hash(*parts: object) -> str:
    """A stable 7-hex-digit digest of ``parts``."""
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:HASH_LENGTH]


def sanitize(name: str, pattern: str = r"[^A-Za-z0-9-]+", replacement: str = "-") -> str:
    """Replace characters outside the allowed alphabet and trim separators from the ends."""
    return re.sub(pattern, replacement, name).strip("-_./") or "app"


def elb_name(app: str, *identity: object) -> str:
    """A load balancer or target group name of at most 32 characters.

    ``identity`` feeds the hash: include every input whose change forces a replacement (e.g. the
    target group's port), so the replacement gets a new name and can be created before the old
    one is deleted.
    """
    suffix = short_hash(pulumi.get_project(), pulumi.get_stack(), app, *identity)
    prefix = sanitize(app)[: ELB_NAME_MAX - HASH_LENGTH - 1].strip("-")
    name = f"{prefix}-{suffix}"
    name = name if not name.startswith("internal-") else f"x{name[1:]}"
    return name if LOAD_BALANCER.allows(name) else derived_name(LOAD_BALANCER, app, *identity)


def ecs_name(app: str) -> str:
    """A cluster, service or task family name: letters, digits, hyphens, underscores; 255 max."""
    return sanitize(f"{app}-{pulumi.get_stack()}", r"[^A-Za-z0-9_-]+")[:255]


def ecr_name(app: str) -> str:
    """An ECR repository name: lowercase ``[a-z0-9._/-]``, 2 to 256 characters, no two
    separators in a row."""
    seed = f"{app}-{pulumi.get_stack()}"
    name = sanitize(seed.lower(), r"[^a-z0-9._/-]+")[:256]
    name = name if len(name) >= 2 else f"{name}-repo"
    return name if ECR_REPOSITORY.allows(name) else derived_name(ECR_REPOSITORY, seed)


def log_group_name(app: str) -> str:
    """The log group of the app's containers (known before it exists: the KMS key policy
    names it)."""
    return f"/ecs/{ecs_name(app)}"


def flow_log_group_name(app: str) -> str:
    """The log group of the VPC's flow logs."""
    return f"/vpc/{ecs_name(app)}/flow-logs"


def service_name(app: str) -> str:
    """An ECS service name (unique within its cluster): letters, digits, hyphens, underscores."""
    return sanitize(app, r"[^A-Za-z0-9_-]+")[:255]


def fit(rule: NameRule, name: str, *identity: object) -> str:
    """``name`` when ``rule`` allows it, else ``derived_name(rule, name, *identity)``."""
    return name if rule.allows(name) else derived_name(rule, name, *identity)


def derived_name(rule: NameRule, name: str, *identity: object) -> str:
    """A name ``rule`` allows, derived from ``name``: spelled in ASCII letters, digits and single
    hyphens, cut to fit, plus a hash of the project, stack, ``name`` and ``identity`` (inputs
    whose change replaces the resource), so two stacks or two apps never share it."""
    core = re.sub(r"-{2,}", "-", re.sub(rule.outside_alphabet, "-", _ascii(name))).strip("-")
    core = core.lower() if rule.lowercase else core
    if any(core.lower().startswith(prefix) for prefix in rule.forbidden_prefixes):
        core = f"x{core}"
    suffix = short_hash(pulumi.get_project(), pulumi.get_stack(), name, *identity)
    core = core[: rule.max_length - HASH_LENGTH - 1].rstrip("-")
    return f"{core}-{suffix}" if core else suffix


def auto_name(rule: NameRule, logical: str, *identity: object) -> dict[str, str]:
    """Keyword args naming a resource Pulumi would auto-name ``<logical>-<7 hex>``: none when
    that auto-name satisfies ``rule`` (the resource keeps it), else an explicit ``name``."""
    if rule.allows(logical + AUTONAME_EXAMPLE_SUFFIX):
        return {}
    return {"name": derived_name(rule, logical, *identity)}


def fit_text(rule: NameRule, text: str) -> str:
    """``text`` when ``rule`` allows it (a description), else ``text`` with accents dropped and
    other characters outside the rule's alphabet replaced by ``-``, cut to fit."""
    if rule.allows(text):
        return text
    return re.sub(rule.outside_alphabet, "-", _ascii(text))[: rule.max_length]


def _ascii(text: str) -> str:
    """``text`` in ASCII: accented letters without their accents, other characters dropped."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
