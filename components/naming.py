"""Physical names that fit AWS limits for any app name.

Pulumi derives logical names from the app name; AWS caps some physical names (ALB and target group:
32 characters). Names here are a readable, sanitized prefix plus a short stable hash, so any app
name works and two stacks never collide.
"""

from __future__ import annotations

import hashlib
import re

import pulumi

from .fargate_limits import ELB_NAME_MAX

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
    return name if not name.startswith("internal-") else f"x{name[1:]}"


def ecs_name(app: str) -> str:
    """A cluster, service or task family name: letters, digits, hyphens, underscores; 255 max."""
    return sanitize(f"{app}-{pulumi.get_stack()}", r"[^A-Za-z0-9_-]+")[:255]


def ecr_name(app: str) -> str:
    """An ECR repository name: lowercase ``[a-z0-9._/-]``, 2 to 256 characters."""
    name = sanitize(f"{app}-{pulumi.get_stack()}".lower(), r"[^a-z0-9._/-]+")[:256]
    return name if len(name) >= 2 else f"{name}-repo"


def service_name(app: str) -> str:
    """An ECS service name (unique within its cluster): letters, digits, hyphens, underscores."""
    return sanitize(app, r"[^A-Za-z0-9_-]+")[:255]
