"""Each arg's documented default is the one the code uses.

The "Default ..." sentence of every arg docstring in ``components/args.py`` is parsed and checked
against what ``resolve_settings`` gives when the arg is left out (and, for a default that does not
depend on the profile, against the settings dataclass too). "Default by profile (dev 2, prod 3)"
is checked against each profile; a default stated in terms of another arg ("Default: 4 x
`min_count`") is checked with that arg set. A default sentence the parser cannot read fails.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pytest

from components.args import FargateAppArgs, SidecarArgs
from components.docs import ARG_SETTINGS, attribute_docstrings, static_defaults
from components.profiles import DEFAULT_PROFILE, PROFILES
from components.settings import (
    AppSettings,
    AutoscalingSettings,
    LoadBalancerSettings,
    NetworkSettings,
    SidecarSettings,
    WafSettings,
    field_default,
)
from components.validation import annotations_of, resolve_settings, typed_dict_of

#: Nested arg group -> (attribute of AppSettings or ServiceSettings, its settings dataclass).
GROUPS: dict[str, tuple[str, type]] = {
    "network": ("network", NetworkSettings),
    "load_balancer": ("load_balancer", LoadBalancerSettings),
    "autoscaling": ("service.autoscaling", AutoscalingSettings),
    "waf": ("load_balancer.waf", WafSettings),
}
#: Args whose profile default comes from a ``Profile`` field of another name.
PROFILE_FIELDS: dict[tuple[str, str], str] = {("waf", "enabled"): "waf"}
#: Args with no default the settings could state: they are absent unless given.
NO_DEFAULT = {"environment", "secrets", "health_check_command", "tags", "network"}
NO_DEFAULT |= {"load_balancer", "autoscaling", "vpc_id", "public_subnet_ids"}
NO_DEFAULT |= {"private_subnet_ids", "certificate_arn"}
NO_DEFAULT |= {"task_role_policy_arns", "task_role_statements", "sidecars"}
NO_DEFAULT |= {"waf", "web_acl_arn", "kms_key_arn"}
NO_DEFAULT |= {"platform", "routing", "host_headers", "path_patterns", "priority"}
#: The prod profile requires HTTPS (for resolving to succeed).
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/x"
REFERENCED_VALUE = 3  # a value no default has, given to an arg another default refers to


def _args() -> list[tuple[str, str, str]]:
    """(group or "", key, docstring) of every arg, nested groups included."""
    found = []
    docs_of_args = attribute_docstrings(FargateAppArgs)  # parses the class's source
    for key, hint in annotations_of(FargateAppArgs).items():
        found.append(("", key, docs_of_args[key]))
        nested = typed_dict_of(hint)
        if nested is not None:
            docs = attribute_docstrings(nested)
            found += [(key, nested_key, docs[nested_key]) for nested_key in annotations_of(nested)]
    return found


def _literal(text: str) -> Any:
    """A documented value: `backticked` (JSON if it parses), true/false, a number, or a phrase
    meaning "none" ("not tracked", "no access logs")."""
    text = text.strip().rstrip(".;,")
    if text.startswith("`"):
        inner = text.strip("`")
        try:
            return json.loads(inner)
        except json.JSONDecodeError:
            return inner
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return float(text) if "." in text else int(text)
    if text.startswith(("not ", "no ")):
        return None
    raise AssertionError(f"cannot read the default {text!r}")


def _resolved(args: dict[str, Any], group: str, key: str) -> Any:
    """The value ``key`` (of ``group``) resolves to from ``args``; tuples as lists."""
    settings = resolve_settings(args)
    if group:
        holder: Any = settings
        for part in GROUPS[group][0].split("."):
            holder = getattr(holder, part)
    else:
        holder = next(
            h for h in (settings, settings.service, settings.load_balancer) if hasattr(h, key)
        )
    value = getattr(holder, key)
    return list(value) if isinstance(value, tuple) else value


def _with(group: str, key: str, value: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    args = json.loads(json.dumps(base or {}))
    if group:
        args.setdefault(group, {})[key] = value
    else:
        args[key] = value
    return args


def _base(group: str) -> dict[str, Any]:
    """Args that make ``group`` exist (autoscaling is off unless given)."""
    return {"autoscaling": {}} if group == "autoscaling" else {}


ARGS = _args()
DOCUMENTED = [(g, k, d) for g, k, d in ARGS if "Default" in d]


def test_every_arg_that_has_a_default_documents_it():
    undocumented = [
        f"{group}.{key}".lstrip(".")
        for group, key, doc in ARGS
        if "Default" not in doc and key not in NO_DEFAULT
    ]
    assert undocumented == []


@pytest.mark.parametrize(
    ("group", "key", "doc"), DOCUMENTED, ids=[f"{g}.{k}".lstrip(".") for g, k, _ in DOCUMENTED]
)
def test_documented_default_is_the_one_the_code_uses(group, key, doc):
    text = re.sub(r"\s+", " ", doc)
    if by_profile := re.search(r"Default by profile \(([^)]*)\)", text):
        _check_profile_defaults(group, key, by_profile.group(1))
    elif derived := re.search(r"Default:? (\d+) x `(\w+)`", text):
        factor, other = int(derived.group(1)), derived.group(2)
        args = _with(_group_of(other, group), other, REFERENCED_VALUE, _base(group))
        assert _resolved(args, group, key) == factor * REFERENCED_VALUE
    elif "Default: the component's ECR repository URL" in text:
        assert _resolved({}, group, key) is None  # the FargateApp then uses its repository
    elif (reference := re.search(r"Default `(\w+)`", text)) and _group_of(
        reference[1], group
    ) is not None:
        other = reference.group(1)
        args = _with(_group_of(other, group), other, REFERENCED_VALUE, _base(group))
        assert _resolved(args, group, key) == REFERENCED_VALUE
    else:
        stated = re.search(r"Default:? (`[^`]*`|[^ ;]+(?: [a-z]+)*)", text)
        assert stated, f"no readable default in {text!r}"
        expected = _literal(stated.group(1))
        assert _resolved(_base(group), group, key) == expected
        classes = (GROUPS[group][1],) if group else ARG_SETTINGS
        default = field_default(key, *classes)
        assert (list(default) if isinstance(default, tuple) else default) == expected


def _check_profile_defaults(group: str, key: str, entries: str) -> None:
    """``entries`` such as "dev 2, prod 3" or "dev true on X86_64, prod false"."""
    for entry in entries.split(", "):
        profile, value = entry.split(" ", 1)
        expected = _literal(value.split(" on ")[0])
        args = {**_base(group), "profile": profile}
        if profile == "prod":
            args = _with("load_balancer", "certificate_arn", CERTIFICATE, args)
        assert _resolved(args, group, key) == expected, profile
        assert getattr(PROFILES[profile], PROFILE_FIELDS.get((group, key), key)) == expected


def _group_of(arg: str, group: str) -> str | None:
    """Where ``arg`` is: ``group`` (same group first), "" (top level) or None (not an arg)."""
    if group and arg in annotations_of(typed_dict_of(annotations_of(FargateAppArgs)[group])):
        return group
    return "" if arg in annotations_of(FargateAppArgs) else None


def test_static_defaults_are_what_resolving_no_args_gives():
    settings = resolve_settings({})
    assert static_defaults()["containerPort"] == settings.service.container_port == 80
    assert static_defaults()["profile"] == settings.profile == DEFAULT_PROFILE
    assert "desiredCount" not in static_defaults()  # set by the profile
    assert AppSettings.image_tag == static_defaults()["imageTag"]


def _doc(group: str, key: str) -> str:
    (doc,) = [d for g, k, d in DOCUMENTED if (g, k) == (group, key)]
    return doc


def test_the_check_fails_when_a_default_changes_without_its_docstring(monkeypatch):
    monkeypatch.setattr(LoadBalancerSettings, "idle_timeout", 120)
    with pytest.raises(AssertionError):
        test_documented_default_is_the_one_the_code_uses(
            "load_balancer", "idle_timeout", _doc("load_balancer", "idle_timeout")
        )


def test_the_check_fails_when_a_profile_default_changes_without_its_docstring(monkeypatch):
    monkeypatch.setitem(PROFILES, "prod", dataclasses.replace(PROFILES["prod"], az_count=2))
    with pytest.raises(AssertionError, match="prod"):
        test_documented_default_is_the_one_the_code_uses(
            "network", "az_count", _doc("network", "az_count")
        )


#: The least a sidecar needs; every other key of it has its documented default.
SIDECAR = {"name": "agent", "image": "agent:1"}
SIDECAR_DOCUMENTED = [
    (key, doc) for key, doc in attribute_docstrings(SidecarArgs).items() if "Default" in doc
]


@pytest.mark.parametrize(("key", "doc"), SIDECAR_DOCUMENTED, ids=[k for k, _ in SIDECAR_DOCUMENTED])
def test_documented_sidecar_default_is_the_one_the_code_uses(key, doc):
    stated = re.search(r"Default:? (`[^`]*`|[^ ;]+(?: [a-z]+)*)", re.sub(r"\s+", " ", doc))
    assert stated, f"no readable default in {doc!r}"
    expected = _literal(stated.group(1))
    (sidecar,) = resolve_settings({"sidecars": [SIDECAR]}).service.sidecars
    assert getattr(sidecar, key) == expected
    assert field_default(key, SidecarSettings) == expected


def test_every_sidecar_key_with_a_default_documents_it():
    required_or_absent = {"name", "image", "command", "entry_point", "port_mappings"}
    required_or_absent |= {"environment", "secrets", "health_check_command", "depends_on"}
    assert [
        key
        for key, doc in attribute_docstrings(SidecarArgs).items()
        if "Default" not in doc and key not in required_or_absent
    ] == []
