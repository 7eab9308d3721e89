"""How an ALB listener picks the action for a request: rules, conditions, redirects.

Pure functions over plain data (a listener's rules as DescribeRules shows them), so the proxy
and the tests share one implementation:

- rules are evaluated by priority, lowest number first, then the default rule; a rule applies
  when every one of its conditions matches, a condition when any of its values matches;
- ``host-header`` values match the Host header's name (no port), case-insensitively;
  ``path-pattern`` values match the path (no query string), case-sensitively; both accept the
  wildcards ``*`` (any characters) and ``?`` (exactly one);
- a rule's action is its last one by ``Order`` (authenticate actions come before it and are not
  emulated);
- a redirect's Location is ALB's template ``#{protocol}://#{host}:#{port}/#{path}?#{query}``
  with the action's overrides, each of which may use the ``#{...}`` keywords.

Conditions other than ``host-header`` and ``path-pattern`` (``http-header``, ``query-string``,
``http-request-method``, ``source-ip``) never match: a rule using one is skipped.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: The condition fields the local load balancer evaluates.
ROUTED_FIELDS = ("host-header", "path-pattern")
_CONFIG_KEYS = {"host-header": "HostHeaderConfig", "path-pattern": "PathPatternConfig"}


@dataclass(frozen=True)
class Request:
    """What routing looks at: the listener's protocol and port, the Host, path and query."""

    protocol: str  # "HTTP" or "HTTPS"
    port: int
    host: str
    path: str
    query: str


@functools.lru_cache(maxsize=1024)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    return re.compile(f"^{body}$", re.IGNORECASE if ignore_case else 0)


def condition_values(condition: Mapping[str, Any]) -> list[str]:
    """The values of a rule condition, in either of the shapes the API accepts."""
    config = condition.get(_CONFIG_KEYS.get(condition.get("Field", ""), ""), {}) or {}
    return list(config.get("Values") or condition.get("Values") or [])


def condition_matches(condition: Mapping[str, Any], request: Request) -> bool:
    """Whether one rule condition matches *request* (see the module docstring)."""
    field = condition.get("Field")
    if field == "host-header":
        host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
        return any(_wildcard(v, True).match(host) for v in condition_values(condition))
    if field == "path-pattern":
        return any(_wildcard(v, False).match(request.path) for v in condition_values(condition))
    return False


def _priority(rule: Mapping[str, Any]) -> tuple[int, int]:
    priority = rule.get("Priority", "default")
    return (1, 0) if priority == "default" or rule.get("IsDefault") else (0, int(priority))


def matching_action(rules: Iterable[Mapping[str, Any]], request: Request) -> dict[str, Any] | None:
    """The action of the first rule (by priority) matching *request*; None if none does."""
    for rule in sorted(rules, key=_priority):
        conditions = rule.get("Conditions") or []
        if all(condition_matches(c, request) for c in conditions):
            return final_action(rule.get("Actions") or [])
    return None


def final_action(actions: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The action that answers the request: the last by ``Order``, not an authenticate one."""
    answering = [a for a in actions if not str(a.get("Type", "")).startswith("authenticate")]
    if not answering:
        return None
    return dict(max(enumerate(answering), key=lambda ia: (ia[1].get("Order", 0), ia[0]))[1])


def forward_groups(action: Mapping[str, Any]) -> list[tuple[str, int]]:
    """(target group ARN, weight) of a forward action, in either shape."""
    groups = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
    if groups:
        return [(g["TargetGroupArn"], int(g.get("Weight", 1))) for g in groups]
    return [(action["TargetGroupArn"], 1)] if action.get("TargetGroupArn") else []


def redirect_location(config: Mapping[str, Any], request: Request) -> str:
    """The Location of a redirect action (ALB's template, with the action's overrides)."""
    keywords = {
        "#{protocol}": request.protocol.lower(),
        "#{host}": request.host.rsplit(":", 1)[0],
        "#{port}": str(request.port),
        "#{path}": request.path.lstrip("/"),
        "#{query}": request.query,
    }

    def expand(template: str) -> str:
        for keyword, value in keywords.items():
            template = template.replace(keyword, value)
        return template

    protocol = expand(config.get("Protocol") or "#{protocol}").lower()
    host = expand(config.get("Host") or "#{host}")
    port = expand(config.get("Port") or "#{port}")
    path = expand(config.get("Path") or "/#{path}")
    query = expand(config.get("Query") or "#{query}")
    return f"{protocol}://{host}:{port}{path}" + (f"?{query}" if query else "")


def redirect_status(config: Mapping[str, Any]) -> int:
    """301 for ``HTTP_301``, 302 for ``HTTP_302``."""
    return int(str(config.get("StatusCode") or "HTTP_301").removeprefix("HTTP_"))
