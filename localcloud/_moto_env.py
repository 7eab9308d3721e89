"""What must be in place before moto is imported: its settings, and shared botocore models.

moto reads some settings at import time (``ACM_VALIDATION_WAIT``) and others when a backend is
created (``MOTO_IAM_LOAD_MANAGED_POLICIES``), so this module is imported before any moto module.

moto also makes a new boto3 session whenever it lists regions or partitions (three times when
``moto.ec2`` is imported, again for each account backend it creates, after every reset), and each
new session parses botocore's endpoint data again (0.3 s at import alone). From here on, every
botocore session of the process shares its parsed data files (``reconciler.aws.shared_loader``).
"""

from __future__ import annotations

import os

import botocore.session

from reconciler.aws import shared_loader

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

# The name botocore's sessions call to make their loader.
botocore.session.create_loader = shared_loader  # type: ignore[assignment]


def apply_late_settings() -> None:
    """Re-apply the settings moto froze at import time, in case moto was imported first."""
    from moto import settings

    settings.ACM_VALIDATION_WAIT = int(os.environ["MOTO_ACM_VALIDATION_WAIT"])
