"""Stack config to FargateApp args: camelCase keys under the project namespace become the
snake_case args, nested groups as objects (``fargate-app:loadBalancer: {certificateArn: ...}``)
and lists of objects as lists (``fargate-app:sidecars: [{name: ..., portMappings: [...]}]``).

Every key under the namespace must be a known arg (or ``name``): a typo is an error.

A stack of shared apps instead declares ``fargate-app:platform`` (a FargatePlatform's args) and
``fargate-app:apps`` (app name to FargateApp args, camelCase keys as above):
``platform_from_config``.
"""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass, field
from typing import Any, Optional

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env

from .args import FargateAppArgs, FargatePlatformArgs
from .unknowns import unknown
from .validation import (
    FargateAppConfigError,
    annotations_of,
    check_unique_priorities,
    resolve_platform_settings,
    resolve_settings,
    typed_dict_of,
)

NAMESPACE = "fargate-app"
NAME_KEY = "name"
DEFAULT_APP_NAME = "web"
PLATFORM_KEY = "platform"
"""Stack config key of a FargatePlatform's args (a stack of shared apps)."""
APPS_KEY = "apps"
"""Stack config key of the apps deployed into the platform: app name to FargateApp args."""
DEFAULT_PLATFORM_NAME = "platform"


def camel_case(snake: str) -> str:
    """``load_balancer`` -> ``loadBalancer`` (the analyzer's and Pulumi's convention); camelCase
    keys and keys with a leading underscore are returned unchanged."""
    head, *rest = snake.split("_")
    if not rest or not head:
        return snake
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _convert(value: Any, schema: type, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FargateAppConfigError(f"config {path}: {value!r} is not allowed; expected an object")
    hints = annotations_of(schema)
    by_camel = {camel_case(key): key for key in hints}
    converted: dict[str, Any] = {}
    for key, item in value.items():
        if key not in by_camel:
            allowed = ", ".join(sorted(by_camel))
            raise FargateAppConfigError(f"config {path}.{key}: unknown key; allowed: {allowed}")
        converted[by_camel[key]] = _convert_value(item, hints[by_camel[key]], f"{path}.{key}")
    return converted


def _convert_value(value: Any, hint: Any, path: str) -> Any:
    """A config value of an arg annotated ``hint``: an object of a group, a list of such objects
    (``sidecars``: each item converted, named ``path[index]``), or anything else as it is."""
    nested = typed_dict_of(hint)
    if nested is not None:
        return _convert(value, nested, path)
    items = _item_typed_dict(hint)
    if items is not None and isinstance(value, list):
        return [_convert(item, items, f"{path}[{index}]") for index, item in enumerate(value)]
    return value


def _item_typed_dict(hint: Any) -> Any:
    """The TypedDict of the items of a list ``hint`` (``SidecarArgs`` for
    ``NotRequired[list[SidecarArgs]]``), if any."""
    for candidate in (hint, *typing.get_args(hint)):
        if typing.get_origin(candidate) is list:
            return typed_dict_of(typing.get_args(candidate)[0])
    return None


def _parse(raw: Any, hint: Any) -> Any:
    """Engine config values are strings; non-string args arrive JSON-encoded."""
    if not isinstance(raw, str) or _expects_string(hint):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _expects_string(hint: Any) -> bool:
    """True for ``str``, ``NotRequired[str]`` and ``Input[str]`` (a Union containing str)."""
    if hint is str:
        return True
    if typing.get_origin(hint) in (typing.Union, typing.NotRequired):
        return any(_expects_string(arg) for arg in typing.get_args(hint))
    return False


def app_from_config(namespace: str = NAMESPACE) -> tuple[str, FargateAppArgs]:
    """Read the app name and FargateApp args from the current stack's config."""
    prefix = f"{namespace}:"
    values = {**get_config_env(), **CONFIG.get()}
    hints = annotations_of(FargateAppArgs)
    by_camel = {camel_case(key): key for key in hints}
    name = pulumi.Config(namespace).get(NAME_KEY) or DEFAULT_APP_NAME
    args: dict[str, Any] = {}
    for full_key in sorted(values):
        if not full_key.startswith(prefix) or full_key == prefix + NAME_KEY:
            continue
        key = full_key[len(prefix) :]
        if key not in by_camel:
            allowed = ", ".join(sorted([NAME_KEY, *by_camel]))
            raise FargateAppConfigError(f"config {full_key}: unknown key; allowed: {allowed}")
        hint = hints[by_camel[key]]
        args[by_camel[key]] = _convert_value(_parse(values[full_key], hint), hint, full_key)
    return name, typing.cast(FargateAppArgs, args)


@dataclass(frozen=True)
class PlatformStack:
    """A stack of shared apps: the FargatePlatform's name and args, and each app's args (without
    ``platform``, which the program sets to the platform's output)."""

    name: str
    platform: FargatePlatformArgs
    apps: dict[str, FargateAppArgs] = field(default_factory=dict)

    def validate(self) -> None:
        """Check the platform's and every app's args, and that no two apps share a listener rule
        priority, before anything is created."""
        resolve_platform_settings(self.platform)
        routings = {
            name: resolve_settings({**args, "platform": unknown()}).routing
            for name, args in self.apps.items()
        }
        check_unique_priorities({name: r for name, r in routings.items() if r is not None})


def platform_from_config(namespace: str = NAMESPACE) -> Optional[PlatformStack]:
    """The stack's platform and apps, when its config declares ``<namespace>:platform`` (None for
    a single-app stack)."""
    prefix = f"{namespace}:"
    platform_key, apps_key = prefix + PLATFORM_KEY, prefix + APPS_KEY
    values = {**get_config_env(), **CONFIG.get()}
    if platform_key not in values and apps_key not in values:
        return None
    if platform_key not in values:
        raise FargateAppConfigError(
            f"config {apps_key}: apps need a platform; also set {platform_key} (the "
            "FargatePlatform's args, {} for its defaults)"
        )
    others = [
        key
        for key in sorted(values)
        if key.startswith(prefix) and key not in (platform_key, apps_key, prefix + NAME_KEY)
    ]
    if others:
        raise FargateAppConfigError(
            f"config {others[0]}: not allowed beside {platform_key}; give each app's args under "
            f"{apps_key}.<app name>"
        )
    platform = _convert(_parse(values[platform_key], dict) or {}, FargatePlatformArgs, platform_key)
    raw_apps = _parse(values.get(apps_key, "{}"), dict)
    if not isinstance(raw_apps, dict):
        raise FargateAppConfigError(
            f"config {apps_key}: {raw_apps!r} is not allowed; expected an object of app name to "
            "app args"
        )
    apps = {}
    for app, app_args in raw_apps.items():
        converted = _convert(app_args, FargateAppArgs, f"{apps_key}.{app}")
        if PLATFORM_KEY in converted:
            raise FargateAppConfigError(
                f"config {apps_key}.{app}.{PLATFORM_KEY}: not allowed; the program deploys every "
                f"app into the stack's {platform_key}"
            )
        apps[app] = typing.cast(FargateAppArgs, converted)
    name = pulumi.Config(namespace).get(NAME_KEY) or DEFAULT_PLATFORM_NAME
    return PlatformStack(name=name, platform=typing.cast(FargatePlatformArgs, platform), apps=apps)
