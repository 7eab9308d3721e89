"""A component's outputs are the attributes its class declares (annotated and documented).

``register_declared_outputs(self)`` at the end of a constructor registers exactly those, so an
output cannot be set without being declared, nor declared without being set.
"""

from __future__ import annotations

import pulumi


def output_names(component: type) -> tuple[str, ...]:
    """The public attributes ``component`` declares with an annotation, in declaration order."""
    return tuple(key for key in component.__annotations__ if not key.startswith("_"))


def register_declared_outputs(component: pulumi.ComponentResource) -> None:
    """Register every declared output of ``component``; an unset one is an ``AttributeError``."""
    component.register_outputs(
        {key: getattr(component, key) for key in output_names(type(component))}
    )
