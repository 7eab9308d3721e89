"""moto settings that must be in the environment before moto is imported.

moto reads some of them at import time (``ACM_VALIDATION_WAIT``) and others when a backend is
created (``MOTO_IAM_LOAD_MANAGED_POLICIES``), so this module is imported before any moto module.
"""

from __future__ import annotations

import os

MOTO_ENVIRONMENT = {
    # Without the AWS managed policies, attaching AmazonECSTaskExecutionRolePolicy is NoSuchEntity.
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
    # Certificates are ISSUED at once instead of after 60 s.
    "MOTO_ACM_VALIDATION_WAIT": "0",
    # Fargate needs no AMIs; loading them costs time for every region's EC2 backend.
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}

for _name, _value in MOTO_ENVIRONMENT.items():
    os.environ.setdefault(_name, _value)


def apply_late_settings() -> None:
    """Re-apply the settings moto froze at import time, in case moto was imported first."""
    from moto import settings

    settings.ACM_VALIDATION_WAIT = int(os.environ["MOTO_ACM_VALIDATION_WAIT"])
