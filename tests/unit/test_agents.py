"""The product tokens by which consent-ui's own tools mark their traffic."""

from __future__ import annotations

import pytest

from consent_ui import __version__
from consent_ui.agents import AGENTS, agent_of, user_agent

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/156.0 Safari/537.36"


@pytest.mark.parametrize("agent", AGENTS)
def test_a_marked_user_agent_names_its_tool(agent: str) -> None:
    marked = user_agent(agent, CHROME)
    assert marked.startswith(CHROME + " consent-ui-")
    assert marked.endswith(f"/{__version__}")
    assert agent_of(marked) == agent
    assert agent_of(user_agent(agent)) == agent


@pytest.mark.parametrize(
    "value",
    [None, "", CHROME, "consent-ui-scannerX/1", "my-consent-ui-qa/1", "consent-ui-qa2"],
)
def test_anything_else_is_a_visitor(value: str | None) -> None:
    assert agent_of(value) is None
