"""Plugin entry point: serves FargateApp and FargatePlatform to Pulumi programs in any language.

The Pulumi engine runs this (see ``PulumiPlugin.yaml``); it is not a command for people.
"""

import sys
from pathlib import Path

from pulumi.provider.experimental import component_provider_host

# The engine runs this file from the plugin directory; make the `components` package importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from components.fargate_app import FargateApp  # noqa: E402
from components.platform import FargatePlatform  # noqa: E402

if __name__ == "__main__":
    component_provider_host([FargateApp, FargatePlatform], name="fargate-app", version="0.1.0")
