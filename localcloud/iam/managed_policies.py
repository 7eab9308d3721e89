"""The AWS managed policies, loaded fast (a speed patch; what IAM answers does not change).

moto loads the AWS managed policies (``MOTO_IAM_LOAD_MANAGED_POLICIES``, needed to attach
AmazonECSTaskExecutionRolePolicy) by parsing their JSON into each of five partitions' IAM
backends at every reset. For the emulator's requests they are parsed once per process and
loaded into the commercial partition ("aws") only, the one this project uses.
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
        parsed = _installed.get("parsed")
        if parsed is None:
            parsed = _installed["parsed"] = json.loads(iam_models.aws_managed_policies_data)
        return [
            iam_models.AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data)
            for name, data in parsed.items()
        ]

    return init_aws_policies
