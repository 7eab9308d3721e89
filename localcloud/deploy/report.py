"""What the emulated deploy shows: live progress, the resource tree, the stack outputs."""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from localcloud.deploy.mocks import Created
from localcloud.deploy.plan import SYMBOLS

#: Colour of each kind of step in the live view.
KIND_STYLES = {"create": "green", "update": "yellow", "replace": "magenta", "delete": "red"}

#: Lines of recently created resources shown under the spinner.
RECENT_LINES = 8


class DeployProgress:
    """A live view (terminal only) of the resources being created, updated or replaced (the
    unchanged ones only counted), newest last."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.count = 0
        self._recent: deque[Text] = deque(maxlen=RECENT_LINES)
        self._guard = threading.Lock()
        self._live = Live(console=console, transient=True, refresh_per_second=12)

    def __enter__(self) -> DeployProgress:
        self._live.update(self._render())
        self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.__exit__(*exc)

    def created(self, resource: Created) -> None:
        """Called (from Pulumi's threads) after each resource's step."""
        with self._guard:
            self.count += 1
            if resource.kind == "same":
                self._live.update(self._render())
                return
            symbol, style = SYMBOLS[resource.kind], KIND_STYLES[resource.kind]
            line = Text(f"  {symbol:<2} ", style=style)
            line.append(f"{resource.type_} ", style="dim" if not resource.custom else "")
            line.append(resource.name, style="bold")
            if resource.id:
                line.append(f"  {resource.id}", style="cyan")
            self._recent.append(line)
            self._live.update(self._render())

    def _render(self) -> Group:
        spinner = Spinner("dots", text=f" deploying to the emulator: {self.count} resources done")
        return Group(spinner, *self._recent)


def resource_tree(stack: str, resources: list[Any], ids: dict[tuple[str, str], str]) -> Tree:
    """The registered resources as a tree under the stack, each with its id.

    Resources register from parallel threads, so siblings are sorted (by type, then name):
    the tree reads the same on every run.
    """
    tree = Tree(Text(f"pulumi:pulumi:Stack  fargate-app-{stack}", style="bold"))
    urns = {resource.urn for resource in resources}
    children: dict[str | None, list[Any]] = defaultdict(list)
    for resource in resources:
        children[resource.parent_urn if resource.parent_urn in urns else None].append(resource)

    def add(node: Tree, parent_urn: str | None) -> None:
        for resource in sorted(children[parent_urn], key=lambda r: (r.type_, r.name)):
            label = Text(resource.type_ + "  ", style="dim" if not resource.custom else "")
            label.append(resource.name, style="bold")
            resource_id = ids.get((resource.type_, resource.name))
            if resource_id:
                label.append(f"  {resource_id}", style="cyan")
            add(node.add(label), resource.urn)

    add(tree, None)
    return tree


def outputs_table(outputs: dict[str, Any]) -> Table:
    """Stack outputs as ``pulumi stack output`` shows them."""
    table = Table(title="Outputs", show_header=True, header_style="bold", title_justify="left")
    table.add_column("output")
    table.add_column("value", overflow="fold")
    for key in sorted(outputs):
        value = outputs[key]
        table.add_row(key, value if isinstance(value, str) else json.dumps(value))
    return table
