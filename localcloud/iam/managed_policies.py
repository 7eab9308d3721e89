"""The AWS managed policies, loaded fast (a speed patch; what IAM answers does not change).

moto loads the AWS managed policies (``MOTO_IAM_LOAD_MANAGED_POLICIES``, needed to attach
AmazonECSTaskExecutionRolePolicy) by parsing their JSON into each of five partitions' IAM
backends at every reset. For the emulator's requests they are built once per process, for the
commercial partition ("aws") only, the one this project uses, and each reset gets copies
(13 ms instead of 88 ms for the 1,582 policies).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from moto.iam import models as iam_models

from localcloud import _moto_env  # noqa: F401  (moto settings first)
from localcloud.emulator import serving_emulator_request

_installed: dict[str, Any] = {}


def install() -> None:
    """Patch moto's IAM backend (once per process)."""
    if _installed.get("done"):
        return
    _installed["done"] = True
    iam_models.IAMBackend._init_aws_policies = _init_aws_policies_once(
        iam_models.IAMBackend._init_aws_policies
    )


def _init_aws_policies_once(original: Any) -> Any:
    @functools.wraps(original)
    def init_aws_policies(self: iam_models.IAMBackend) -> list[Any]:
        if not serving_emulator_request():
            return original(self)
        # Loading the policies into the other four partitions cost 0.3 s at every reset.
        if not iam_models.load_iam_aws_managed_policies() or self.region_name != "aws":
            return []
        key = (self.account_id, self.region_name)
        built = _installed.get(key)
        if built is None:
            parsed = json.loads(iam_models.aws_managed_policies_data)
            built = _installed[key] = [
                iam_models.AWSManagedPolicy.from_data(name, *key, data)
                for name, data in parsed.items()
            ]
        return [_fresh_copy(policy) for policy in built]

    return init_aws_policies


def _fresh_copy(policy: Any) -> Any:
    """A copy of a built policy for a new backend: its own attachment count, version list and
    tags (an AWS managed policy's versions themselves never change). What ``copy.copy`` does,
    without its generic protocol (a third of a reset's time): the class's ``__new__`` (moto's
    models count their instances there), then the attributes."""
    fresh = type(policy).__new__(type(policy))
    fresh.__dict__.update(policy.__dict__)
    fresh.versions = list(policy.versions)
    fresh.tags = dict(policy.tags)
    return fresh
