"""consent-ui's own tools say who they are, so their records leave the figures.

The cookie scanner and the QA kit add a product token to their browsers' User-Agent;
the server notes the tool in the record's ``agent`` (the record stays in the log as
proof, like any other) and the opt-in figures count visitors only. A visitor who sent
such a token would only leave the figures, never gain anything.
"""

from __future__ import annotations

import re

SCANNER = "scanner"
QA = "qa"

#: The User-Agent product token of each tool.
TOKENS = {SCANNER: "consent-ui-scanner", QA: "consent-ui-qa"}
AGENTS = tuple(TOKENS)

_NAMES = "|".join(map(re.escape, TOKENS.values()))
_TOKEN = re.compile(rf"(?:^|\s)({_NAMES})(?:/\S*)?(?:\s|$)")


def user_agent(agent: str, base: str = "") -> str:
    """``base`` (a browser's own User-Agent) with the tool's product token added."""
    from . import __version__

    return f"{base} {TOKENS[agent]}/{__version__}".strip()


def agent_of(user_agent: str | None) -> str | None:
    """The tool a User-Agent names, or None for a visitor."""
    match = _TOKEN.search(user_agent or "")
    if match is None:
        return None
    return next(agent for agent, token in TOKENS.items() if token == match.group(1))
