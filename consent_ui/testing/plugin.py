"""The pytest plugin of the QA kit, registered through the ``pytest11`` entry point
``consent_ui`` (``-p no:consent_ui`` turns it off).

It does nothing until a test uses it: its options sit in their own group, its marker
is registered in ``pytest_configure``, and its fixtures build on pytest-playwright's
(``browser_context_args``, ``context``, ``page``) instead of replacing them. The
fixtures that extend pytest-playwright's are registered at configure time, after
every installed plugin, so that they wrap pytest-playwright's whatever order the
plugins were found in; a project's own conftest still overrides them all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ..policy import Policy
from .presets import consent_states

_POLICY = pytest.StashKey[Policy]()
MARKER = (
    "consent(*keys): before the test, preset pytest-playwright's context with a genuine "
    "consent granting these optional categories; consent() rejects all, consent('all') "
    "accepts all, consent(None) leaves the visitor without a choice"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("consent-ui", "consent-ui QA kit")
    group.addoption(
        "--consent-server",
        metavar="URL",
        default=None,
        help="test against this running consent-ui (a staging server) instead of starting one",
    )
    group.addoption(
        "--consent-policy",
        metavar="FILE",
        default=None,
        help="the policy file of the consent server the plugin starts (default: built-in)",
    )
    group.addoption(
        "--consent-allow-origin",
        metavar="ORIGIN",
        action="append",
        default=[],
        help="an origin of the site under test (http://localhost:8001) that may embed "
        "the started consent server's snippet; repeat for more",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)
    from . import fixtures

    if not config.pluginmanager.is_registered(fixtures):
        config.pluginmanager.register(fixtures, "consent_ui.fixtures")
    if config.getoption("consent_policy"):
        collection_policy(config)  # a policy file given is read now: a mistake is a usage error


def collection_policy(config: pytest.Config) -> Policy:
    """The policy, known before any test runs (``consent_state`` is parametrised by it)."""
    if _POLICY not in config.stash:
        from .. import remote
        from ..agents import QA
        from ..errors import PolicyError
        from ..policy import load_policy

        server = config.getoption("consent_server")
        try:
            if server:
                config.stash[_POLICY] = remote.fetch_policy(server, QA)
            else:
                config.stash[_POLICY] = load_policy(policy_file(config))
        except (remote.Unreachable, PolicyError) as e:
            raise pytest.UsageError(f"consent-ui: {e}") from None
    return config.stash[_POLICY]


def policy_file(config: pytest.Config) -> str | None:
    value = config.getoption("consent_policy")
    return str(Path(config.invocation_params.dir, value).resolve()) if value else None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "consent_state" not in metafunc.fixturenames:
        return
    states = consent_states(collection_policy(metafunc.config))
    metafunc.parametrize("consent_state", states, ids=[str(s) for s in states], indirect=True)
