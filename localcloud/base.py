"""What every cloud the tests and tools talk to can do, embedded or remote."""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: Credentials the emulator accepts (any would do; these are LocalStack's convention).
CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


class Deployable:
    """Mixin: emulate ``pulumi up`` on a cloud that has ``client()`` (and maybe faults)."""

    def deploy(
        self,
        stack_config: str | Path,
        *,
        config: dict[str, Any] | None = None,
        show_progress: bool = False,
    ) -> dict[str, Any]:
        """Emulate ``pulumi up`` of *stack_config* (plus *config* overrides) on this cloud.

        Returns the stack outputs, shaped like ``pulumi stack output --json``.
        """
        from localcloud.deploy import deploy

        return deploy(self, stack_config, config=config, show_progress=show_progress).outputs
