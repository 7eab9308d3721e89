"""CrossGuard policy pack for the FargateApp: guardrails mapped to AWS security controls.

Importing this package never builds the ``PolicyPack`` (that starts a gRPC server and blocks);
``policies/__main__.py`` does, when Pulumi runs the pack. The rules live in
:mod:`policies.rules`, the offline checker in :mod:`policies.check`.
"""
