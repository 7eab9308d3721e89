"""Tagging guardrail: every taggable AWS resource carries the required tags."""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Iterator
from typing import Any

from contract import MANAGED_BY_TAG
from policies.rules.base import GuardrailResourcePolicy
from policies.rules.props import get, is_unknown

DEFAULT_REQUIRED_TAGS = ["app", "stack", MANAGED_BY_TAG[0]]


@functools.cache
def is_taggable(resource_type: str) -> bool:
    """Whether the pulumi-aws resource ``resource_type`` (``aws:ec2/vpc:Vpc``) takes ``tags``.

    Answered from the pulumi-aws SDK itself, so new resource types need no list update.
    """
    package, _, rest = resource_type.partition(":")
    module, _, name = rest.partition(":")
    if package != "aws" or not name:
        return False
    module = module.split("/")[0]
    try:
        sdk = importlib.import_module("pulumi_aws" if module == "index" else f"pulumi_aws.{module}")
        resource_class = getattr(sdk, name)
        parameters = inspect.signature(resource_class._internal_init).parameters
    except (ImportError, AttributeError, TypeError, ValueError):
        return False
    return "tags" in parameters


def _required_tags(
    props: dict[str, Any], config: dict[str, Any], resource_type: str
) -> Iterator[str]:
    if not is_taggable(resource_type):
        return
    tags = get(props, "tags", {})
    if is_unknown(tags):
        return
    required = config.get("requiredTags") or DEFAULT_REQUIRED_TAGS
    missing = [key for key in required if not _has(tags, key)]
    if not missing:
        return
    everywhere = get(props, "tagsAll")
    if is_unknown(everywhere):
        return  # provider default tags may still supply them
    if isinstance(everywhere, dict):
        missing = [key for key in missing if not _has(everywhere, key)]
    if missing:
        yield f"missing required tag(s): {', '.join(missing)}."


def _has(tags: Any, key: str) -> bool:
    if not isinstance(tags, dict) or key not in tags:
        return False
    value = tags[key]
    return is_unknown(value) or (isinstance(value, str) and value.strip() != "")


POLICIES = [
    GuardrailResourcePolicy(
        name="required-tags",
        controls=("FA.3",),
        description="Every taggable AWS resource must carry the required tags.",
        resource_types=None,
        check=_required_tags,
        config={
            "requiredTags": {
                "type": "array",
                "items": {"type": "string"},
                "default": DEFAULT_REQUIRED_TAGS,
                "description": "Tag keys every taggable resource must have, with a value.",
            }
        },
    ),
]

__all__ = ["POLICIES", "is_taggable"]
