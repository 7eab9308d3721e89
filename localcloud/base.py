"""What every cloud the tests and tools talk to can do, embedded or remote."""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: Credentials the emulator accepts (any would do; these are LocalStack's convention).
CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


class Deployable:
    """Mixin: emulate ``pulumi up`` / ``pulumi destroy`` on a cloud that has ``client()``,
    ``region`` and ``endpoint_url`` (and maybe faults). The deployed state lives in the cloud's
    state file (``localcloud.deploy.state``) unless a *state_path* is given."""

    def deploy(
        self,
        stack_config: str | Path,
        *,
        config: dict[str, Any] | None = None,
        show_progress: bool = False,
        state_path: str | Path | None = None,
    ) -> dict[str, Any]:
        """Emulate ``pulumi up`` of *stack_config* (plus *config* overrides) on this cloud: an
        update of what the state says is deployed (everything is created into an empty state).

        Returns the stack outputs, shaped like ``pulumi stack output --json``.
        """
        from localcloud.deploy import deploy

        return deploy(
            self, stack_config, config=config, show_progress=show_progress, state_path=state_path
        ).outputs

    def destroy(self, *, state_path: str | Path | None = None) -> None:
        """Emulate ``pulumi destroy``: delete everything in the state and empty it."""
        from localcloud.deploy import destroy

        destroy(self, state_path=state_path)
