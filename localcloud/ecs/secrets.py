"""A container definition's ``secrets``, resolved as the task execution role would at start.

Each ``{"name": ..., "valueFrom": ...}`` names a Secrets Manager secret (its ARN, optionally
followed by ``:json-key:version-stage:version-id`` as ECS allows) or an SSM parameter (its ARN or
name); the value comes from the emulator's own Secrets Manager and SSM. A secret that does not
exist stops the task as ECS does: ``ResourceInitializationError: unable to pull secrets ...``.
"""

from __future__ import annotations

import json
from typing import Any

from moto.backends import get_backend

from localcloud import _moto_env  # noqa: F401  (moto settings first)


class SecretResolutionError(Exception):
    """A secret of the task cannot be read; ``str()`` is the task's stoppedReason."""


def resolve_secrets(account_id: str, region: str, secrets: list[dict[str, str]]) -> dict[str, str]:
    """Environment variable name -> secret value, for every entry of *secrets*."""
    return {s["name"]: _value_of(account_id, region, s["valueFrom"]) for s in secrets}


def _value_of(account_id: str, region: str, value_from: str) -> str:
    try:
        if value_from.startswith("arn:") and ":secretsmanager:" in value_from:
            return _secrets_manager_value(account_id, region, value_from)
        return _ssm_value(account_id, region, value_from)
    except SecretResolutionError:
        raise
    except Exception as exc:  # moto's not-found exceptions of either service
        raise SecretResolutionError(_failure(value_from, exc)) from None


def _secrets_manager_value(account_id: str, region: str, value_from: str) -> str:
    parts = value_from.split(":")
    secret_arn, extra = ":".join(parts[:7]), parts[7:] + ["", "", ""]
    json_key, stage, version = extra[:3]
    backend = get_backend("secretsmanager")[account_id][region]
    answer = backend.get_secret_value(secret_arn, version or None, stage or None)
    value = answer.get("SecretString") or ""
    if not json_key:
        return value
    try:
        return str(json.loads(value)[json_key])
    except (ValueError, KeyError, TypeError):
        raise SecretResolutionError(
            _failure(value_from, f"the secret has no JSON key '{json_key}'")
        ) from None


def _ssm_value(account_id: str, region: str, value_from: str) -> str:
    backend = get_backend("ssm")[account_id][region]
    parameter = backend.get_parameter(value_from)
    if parameter is None and value_from.startswith("arn:") and ":parameter/" in value_from:
        parameter = backend.get_parameter("/" + value_from.split(":parameter/", 1)[1])
    if parameter is None:
        raise SecretResolutionError(_failure(value_from, "ParameterNotFound"))
    return str(parameter.decrypt(parameter.value))  # SecureString: as the execution role sees it


def _failure(value_from: str, cause: Any) -> str:
    detail = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    return (
        "ResourceInitializationError: unable to pull secrets or registry auth: "
        f"execution resource retrieval failed: unable to retrieve secret from {value_from}: "
        f"{detail}"
    )
