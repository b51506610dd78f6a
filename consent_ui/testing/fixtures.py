"""The QA kit's fixtures, registered by the plugin's ``pytest_configure``: after
every plugin found through entry points, so that ``browser_context_args`` and
``browser_type_launch_args`` wrap pytest-playwright's whatever order the plugins were
loaded in (a project's conftest still overrides any of them)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from .plugin import policy_file
from .presets import ALL, ConsentPresets, ConsentState
from .server import ConsentServer, ConsentServerError
from .trackers import Trackers


@pytest.fixture(scope="session")
def consent_allowed_origins(pytestconfig: pytest.Config) -> list[str]:
    """Origins allowed to embed the started server's snippet (``CONSENT_ALLOWED_ORIGINS``):
    ``--consent-allow-origin``; override it in a conftest to add a harness's own."""
    return list(pytestconfig.getoption("consent_allow_origin"))


@pytest.fixture(scope="session")
def consent_server(
    pytestconfig: pytest.Config, consent_allowed_origins: list[str]
) -> Iterator[ConsentServer]:
    """consent-ui on a free port (temporary database and key, ``--consent-policy``),
    or the ``--consent-server`` deployment."""
    url = pytestconfig.getoption("consent_server")
    try:
        if url:
            server = ConsentServer.remote(url)
        else:
            server = ConsentServer.start(
                policy_file=policy_file(pytestconfig),
                allowed_origins=consent_allowed_origins,
            )
    except ConsentServerError as e:
        pytest.fail(str(e), pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def consent(consent_server: ConsentServer, request: pytest.FixtureRequest) -> ConsentPresets:
    """Genuine consent presets: ``.preset(context, categories, url=None)``,
    ``.clear(context)``, ``.state(page)``."""
    return ConsentPresets(consent_server, _base_url(request.config))


@pytest.fixture
def consent_state(
    request: pytest.FixtureRequest, context: Any, consent: ConsentPresets
) -> ConsentState:
    """Each consent state in turn (``[consent=none]``, ``[consent=reject]``…), with
    pytest-playwright's ``context`` preset to it."""
    state = getattr(request, "param", None)
    if not isinstance(state, ConsentState):
        raise pytest.UsageError("consent_state is parametrised by the consent-ui plugin")
    if request.node.get_closest_marker("consent"):
        raise pytest.UsageError("use either consent_state or @pytest.mark.consent, not both")
    _apply(consent, context, state.choice)
    return state


@pytest.fixture(autouse=True)
def _consent_marker(request: pytest.FixtureRequest) -> None:
    """``@pytest.mark.consent(...)``: preset the context before the test; unmarked
    tests are left alone."""
    marker = request.node.get_closest_marker("consent")
    if marker is None or "consent_state" in request.fixturenames:
        return
    choice = _marker_choice(marker)
    _apply(request.getfixturevalue("consent"), request.getfixturevalue("context"), choice)


@pytest.fixture
def trackers(page: Any, consent_server: ConsentServer) -> Trackers:
    """What ``page`` stores and calls, classified against the server's policy."""
    return Trackers(page, consent_server.policy, {urlsplit(consent_server.url).hostname or ""})


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any], browser: Any) -> dict[str, Any]:
    """pytest-playwright's, with the QA kit's token in the User-Agent: the choices
    the tests make leave the dashboard's figures."""
    from .. import chromium
    from .server import qa_agent

    base = browser_context_args.get("user_agent") or chromium.user_agent(browser)
    return {**browser_context_args, "user_agent": qa_agent(base)}


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], browser_name: str, playwright: Any
) -> dict[str, Any]:
    """pytest-playwright's; where Playwright has no Chromium of its own, the
    system's (with ``--no-sandbox`` when run as root)."""
    from .. import chromium

    args = browser_type_launch_args
    if browser_name != "chromium" or {"executable_path", "channel"} & args.keys():
        return args
    try:
        executable = chromium.executable(playwright)
    except chromium.NoChromium:
        return args  # Playwright says what is missing, as it always does
    if executable is None:
        return args
    return {
        **args,
        "executable_path": executable,
        "args": chromium.launch_args(args.get("args", [])),
    }


def _marker_choice(marker: pytest.Mark) -> str | tuple[str, ...] | None:
    if marker.kwargs:
        raise pytest.UsageError(
            f"@pytest.mark.consent takes category keys only, not {marker.kwargs}"
        )
    if marker.args == (None,):
        return None
    if marker.args == (ALL,):
        return ALL
    if not all(isinstance(a, str) for a in marker.args):
        raise pytest.UsageError(
            f"@pytest.mark.consent{marker.args!r}: give category keys, 'all' or None"
        )
    return tuple(marker.args)


def _apply(consent: ConsentPresets, context: Any, choice: Any) -> None:
    try:
        consent.apply(context, choice)
    except (ConsentServerError, ValueError) as e:
        pytest.fail(f"consent-ui: {e}", pytrace=False)


def _base_url(config: pytest.Config) -> str | None:
    """pytest-playwright's ``--base-url`` (or the ``base_url`` ini value), read from the
    configuration rather than its fixture, which pytest 9 warns about."""
    url = config.getoption("base_url", None)
    if not url:
        try:
            url = config.getini("base_url")
        except ValueError:  # neither pytest-playwright nor pytest-base-url is in use
            url = None
    return url or None
