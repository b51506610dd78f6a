"""schemathesis over the OpenAPI document, against a real server on a free port: every
answer has a documented status, content type, headers and shape (all its checks, the
positive and negative data ones included), never a 5xx, and nothing written on a 4xx."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings

from consent_ui import openapi
from consent_ui.extension import ConsentUI
from consent_ui.policy import load_policy
from examples.harness import LiveServer, serve
from tests.fuzz.stats import EXAMPLES, count

# The document the service serves, built the same way (a test below checks it is).
DOCUMENT = openapi.document(load_policy(), "/")
# Invalid data is refused with a 4xx of its kind: 413 too, for a body over 16 KB.
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            "negative_data_rejection": {
                "expected-statuses": ["400", "403", "404", "405", "413", "415"]
            }
        }
    }
)
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


@pytest.fixture(scope="module")
def live(fuzz_app: Flask) -> Iterator[LiveServer]:
    quiet = logging.getLogger("werkzeug")  # a line per request would drown a failure
    level = quiet.level
    quiet.setLevel(logging.WARNING)
    server = serve(fuzz_app)
    yield server
    server.stop()
    quiet.setLevel(level)


def test_the_server_serves_this_document(live: LiveServer) -> None:
    assert requests.get(f"{live.url}/api/openapi.json", timeout=10).json() == DOCUMENT


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_document(
    case: schemathesis.Case, live: LiveServer, fuzz_app: Flask
) -> None:
    store = ConsentUI.state(fuzz_app).store
    before = store.count()
    response = case.call(base_url=live.url, timeout=30)
    count("openapi", response.status_code)
    case.validate_response(response)
    if response.status_code >= 400:
        assert store.count() == before, f"written on a {response.status_code}"
