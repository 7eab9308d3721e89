"""The fargate-app Pulumi program: stack config in, one FargateApp out, its outputs exported."""

import pulumi

from components import OUTPUT_NAMES, FargateApp
from components.config import app_from_config

name, args = app_from_config()
app = FargateApp(name, args)
for output in OUTPUT_NAMES:
    pulumi.export(output, getattr(app, output))
