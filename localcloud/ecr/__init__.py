"""The local ECR: a real OCI registry on 127.0.0.1 behind ECR's API.

- ``registry``: the registry process (Debian's ``docker-registry``, else ``registry:2``);
- ``proxy``: the pass-through proxy every repository URI points at (ECR's push rules);
- ``catalog``: what a repository holds, read through the registry's HTTP API;
- ``service``: ``LocalEcr``, the three started and stopped with the emulator;
- ``responses``: moto's ECR API patched to answer from them.
"""

from localcloud.ecr.service import IMMUTABLE_TAG_MESSAGE, LocalEcr

__all__ = ["IMMUTABLE_TAG_MESSAGE", "LocalEcr"]
