"""Generate the reference docs from the one place each input is documented: its docstring.

``python -m components.docs --write`` rewrites, from the Pulumi analyzer's view of the args
(the same view the package schema comes from) and from ``profiles.PROFILES``:

- the README's args table (between ``<!-- args:start -->`` and ``<!-- args:end -->``),
- the README's FargatePlatform args table (``<!-- platform-args:start -->`` ... ``:end -->``),
- the README's profile table (between ``<!-- profiles:start -->`` and ``<!-- profiles:end -->``),
- the README's platform cost table (``<!-- platform-costs:start -->`` ... ``:end -->``), counted
  from what the program registers under mocks,
- the ``config:`` schema of ``Pulumi.yaml``.

``--check`` exits 1 when any of them is out of date (the test suite runs it).
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import functools
import inspect
import re
import sys
from pathlib import Path
from typing import Any

import yaml
from pulumi.provider.experimental.analyzer import Analyzer, PropertyDefinition

from .args import FargateAppArgs
from .config import DEFAULT_APP_NAME, NAME_KEY, PLATFORM_KEY, camel_case
from .fargate_app import FargateApp
from .platform import FargatePlatform
from .profiles import PROFILES, Profile
from .settings import AppSettings, LoadBalancerSettings, ServiceSettings, field_default
from .validation import annotations_of

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PULUMI_YAML = ROOT / "Pulumi.yaml"
PACKAGE = "fargate-app"
#: Where each top-level arg lands, searched in order for its default.
ARG_SETTINGS: tuple[type, ...] = (AppSettings, ServiceSettings, LoadBalancerSettings)
EXAMPLE_CERTIFICATE_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/example"


def static_defaults() -> dict[str, Any]:
    """Plain defaults of the top-level args the profile does not set, by camelCase key: safe to
    declare in Pulumi.yaml's schema. Read from the settings dataclasses, their one home."""
    profile_governed = {item.name for item in dataclasses.fields(Profile)}
    defaults: dict[str, Any] = {}
    for key in annotations_of(FargateAppArgs):
        value = field_default(key, *ARG_SETTINGS)
        if key not in profile_governed and isinstance(value, (str, int, float, bool)):
            defaults[camel_case(key)] = value
    return defaults


def _one_line(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _type_name(prop: PropertyDefinition, types: dict[str, Any]) -> str:
    if prop.ref:
        return "object"
    if prop.items is not None:
        return f"list[{_type_name(prop.items, types)}]"
    if prop.additional_properties is not None:
        return f"map[{_type_name(prop.additional_properties, types)}]"
    return prop.type.value if prop.type else "any"


@functools.cache
def _analysis(
    component: type = FargateApp,
) -> tuple[dict[str, PropertyDefinition], dict[str, Any], dict[str, str]]:
    """The analyzer's inputs, types and input mapping of ``component`` (analyzed once: the
    tables and the config schema read them and never change them)."""
    result = Analyzer(PACKAGE).analyze([component])
    definition = result["component_definitions"][component.__name__]
    return definition.inputs, result["type_definitions"], definition.inputs_mapping


def args_table(component: type = FargateApp, config_prefix: str = f"{PACKAGE}:") -> str:
    """Markdown table of every arg of ``component``: Python key, stack config key (``config_prefix``
    plus the camelCase key), type, description; the keys of a group (``network.cidr_block``) and
    of a list's objects (``sidecars[].name``) follow it."""
    inputs, types, mapping = _analysis(component)
    rows = ["| arg | stack config key | type | description |", "|---|---|---|---|"]
    for camel, prop in inputs.items():
        rows.append(
            f"| `{mapping[camel]}` | `{config_prefix}{camel}` | {_type_name(prop, types)} "
            f"| {_one_line(prop.description)} |"
        )
        rows += _nested_rows(
            mapping[camel], f"{config_prefix}{camel}".split(":", 1)[-1], prop, types
        )
    return "\n".join(rows)


def _nested_rows(
    python_key: str, config_key: str, prop: PropertyDefinition, types: dict[str, Any]
) -> list[str]:
    """Rows of the keys inside an object-valued (or list-of-objects) arg, recursively."""
    ref, suffix = prop.ref, ""
    if ref is None and prop.items is not None and prop.items.ref:
        ref, suffix = prop.items.ref, "[]"
    if ref is None:
        return []
    nested = types[ref.rsplit(":", 1)[-1]]
    rows = []
    for nested_camel, nested_prop in nested.properties.items():
        python = f"{python_key}{suffix}.{nested.properties_mapping[nested_camel]}"
        config = f"{config_key}{suffix}.{nested_camel}"
        rows.append(
            f"| `{python}` | `{config}` | {_type_name(nested_prop, types)} "
            f"| {_one_line(nested_prop.description)} |"
        )
        rows += _nested_rows(python, config, nested_prop, types)
    return rows


def attribute_docstrings(cls: type) -> dict[str, str]:
    """The docstring under each annotated attribute of ``cls``, on one line."""
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for node, following in zip(body, body[1:], strict=False):
        if isinstance(node, ast.AnnAssign) and isinstance(following, ast.Expr):
            docs[node.target.id] = _one_line(following.value.value)  # type: ignore[attr-defined]
    return docs


def profiles_table() -> str:
    """Markdown table of what each profile sets."""
    docs = attribute_docstrings(Profile)
    names = list(PROFILES)
    rows = [f"| setting | {' | '.join(names)} |", f"|---|{'---|' * len(names)}"]
    for item in dataclasses.fields(Profile):
        values = [_format(getattr(PROFILES[name], item.name)) for name in names]
        rows.append(f"| {docs[item.name]} | {' | '.join(values)} |")
    return "\n".join(rows)


def _format(value: Any) -> str:
    return "yes" if value is True else "no" if value is False else f"`{value}`"


def config_schema() -> dict[str, Any]:
    """Pulumi.yaml ``config:`` entries (namespace-less keys) for every arg, plus ``name``.

    Pulumi's project config schema has string, integer, boolean and array types only, so the
    object-valued args (``network``, ``loadBalancer``, ``autoscaling``, ``environment``,
    ``secrets``, ``tags``) and the lists of objects (``sidecars``, ``taskRoleStatements``) are
    documented in the README table and checked by the program.
    """
    inputs, types, _ = _analysis(FargateApp)
    defaults = static_defaults()
    schema: dict[str, Any] = {
        NAME_KEY: {
            "type": "string",
            "description": "Name of the app: logical name of the FargateApp and prefix of its "
            "resources' names.",
            "default": DEFAULT_APP_NAME,
        }
    }
    for camel, prop in inputs.items():
        if prop.ref or prop.additional_properties is not None or prop.type is None:
            continue
        if prop.items is not None and (prop.items.ref or prop.items.type.value == "object"):
            continue  # a list of objects (``sidecars``): no such item type in the project schema
        entry: dict[str, Any] = {"type": prop.type.value}
        if prop.items is not None:
            entry["items"] = {"type": _type_name(prop.items, types)}
        entry["description"] = _one_line(prop.description)
        if camel in defaults:
            entry["default"] = defaults[camel]
        schema[camel] = entry
    return schema


#: Resource types billed per hour whatever the traffic, counted in the platform cost table.
HOURLY_RESOURCES: tuple[tuple[str, str], ...] = (
    ("NAT gateways", "aws:ec2/natGateway:NatGateway"),
    ("load balancers", "aws:lb/loadBalancer:LoadBalancer"),
    ("interface VPC endpoints", "aws:ec2/vpcEndpoint:VpcEndpoint"),
)
#: Layouts the cost table compares: profile label, the apps' args, the platform's args.
COST_LAYOUTS: tuple[tuple[str, dict[str, Any], dict[str, Any]], ...] = (
    ("dev", {"profile": "dev"}, {"profile": "dev"}),
    (
        "prod",
        {"profile": "prod", "load_balancer": {"certificate_arn": EXAMPLE_CERTIFICATE_ARN}},
        {"profile": "prod", "load_balancer": {"certificate_arn": EXAMPLE_CERTIFICATE_ARN}},
    ),
    (
        "prod, `vpc_endpoints: true`",
        {
            "profile": "prod",
            "load_balancer": {"certificate_arn": EXAMPLE_CERTIFICATE_ARN},
            "network": {"vpc_endpoints": True},
        },
        {
            "profile": "prod",
            "load_balancer": {"certificate_arn": EXAMPLE_CERTIFICATE_ARN},
            "network": {"vpc_endpoints": True},
        },
    ),
)


def registered_counts(
    apps: int, app_args: dict[str, Any], platform_args: dict[str, Any] | None
) -> dict[str, int]:
    """Per billed-per-hour category (and ``resources``: every AWS resource), what ``apps`` apps
    register under mocks: each on its own (``platform_args`` None) or in one FargatePlatform."""
    from .mocks import AwsLikeMocks
    from .program import run_program

    def program() -> None:
        platform = FargatePlatform("shared", platform_args) if platform_args is not None else None
        for index in range(apps):
            args = dict(app_args)
            if platform is not None:
                args = {
                    key: value
                    for key, value in args.items()
                    if key not in ("network", "load_balancer")
                }
                args["platform"] = platform.platform
                args["routing"] = {"path_patterns": [f"/app{index}/*"], "priority": index + 1}
            FargateApp(f"app{index}", args)

    result = run_program(None, AwsLikeMocks(), program=program, stack="cost")
    counts = {
        label: sum(
            1
            for resource in result.of_type(type_)
            if resource.inputs.get("vpcEndpointType", "Interface") == "Interface"
        )
        for label, type_ in HOURLY_RESOURCES
    }
    counts["resources"] = sum(1 for resource in result.resources if resource.custom)
    return counts


def platform_costs_table() -> str:
    """Markdown table: for each profile, the resources billed per hour of the first app and of
    each further one, on their own and in a shared platform."""
    labels = [label for label, _ in HOURLY_RESOURCES] + ["resources"]
    rows = [
        f"| profile | layout | {' | '.join(labels)} |",
        f"|---|---|{'---|' * len(labels)}",
    ]
    for profile, app_args, platform_args in COST_LAYOUTS:
        for layout, platform in (("own VPC and ALB", None), ("shared platform", platform_args)):
            one = registered_counts(1, app_args, platform)
            two = registered_counts(2, app_args, platform)
            first = " | ".join(str(one[label]) for label in labels)
            further = " | ".join(str(two[label] - one[label]) for label in labels)
            rows.append(f"| {profile} | {layout}: first app | {first} |")
            rows.append(f"| {profile} | {layout}: each further app | {further} |")
    return "\n".join(rows)


def _replace_block(text: str, marker: str, content: str) -> str:
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    if start not in text or end not in text:
        raise SystemExit(f"README.md: markers {start} / {end} are missing")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{content}\n{end}{tail}"


def render_readme(text: str) -> str:
    """``text`` with its generated tables brought up to date."""
    text = _replace_block(text, "args", args_table())
    text = _replace_block(
        text, "platform-args", args_table(FargatePlatform, f"{PACKAGE}:{PLATFORM_KEY}.")
    )
    text = _replace_block(text, "platform-costs", platform_costs_table())
    return _replace_block(text, "profiles", profiles_table())


def render_pulumi_yaml(text: str) -> str:
    """``Pulumi.yaml`` with its ``config:`` schema brought up to date (everything else kept)."""
    document = yaml.safe_load(text)
    document["config"] = config_schema()
    header = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
    return header + yaml.safe_dump(document, sort_keys=False, width=100)


def main(argv: list[str] | None = None) -> int:
    """Write (``--write``) or verify (``--check``) the generated docs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite README.md and Pulumi.yaml")
    mode.add_argument("--check", action="store_true", help="exit 1 if they are out of date")
    options = parser.parse_args(argv)
    stale = []
    for path, render in ((README, render_readme), (PULUMI_YAML, render_pulumi_yaml)):
        current = path.read_text()
        wanted = render(current)
        if wanted != current:
            stale.append(path.name)
            if options.write:
                path.write_text(wanted)
    if options.check and stale:
        print(f"out of date: {', '.join(stale)}; run `make docs`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
