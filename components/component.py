"""What the sub-components share: children parented to them, and outputs that are exactly the
attributes their class declares (annotated and documented).

``self._register_declared_outputs()`` at the end of a constructor registers exactly those, so an
output cannot be set without being declared, nor declared without being set.
"""

from __future__ import annotations

import pulumi


def output_names(component: type) -> tuple[str, ...]:
    """The public attributes ``component`` declares with an annotation, in declaration order."""
    return tuple(key for key in component.__annotations__ if not key.startswith("_"))


class Component(pulumi.ComponentResource):
    """Base of Network, Registry, LoadBalancer and Service."""

    def _child(self, *depends_on: pulumi.Resource) -> pulumi.ResourceOptions:
        """Options of a resource this component owns (optionally waiting for ``depends_on``)."""
        return pulumi.ResourceOptions(parent=self, depends_on=list(depends_on) or None)

    def _register_declared_outputs(self) -> None:
        """Register every declared output; an unset one is an ``AttributeError``."""
        self.register_outputs({key: getattr(self, key) for key in output_names(type(self))})
