"""The OpenAPI 3.1 document at /api/openapi.json stays true: a valid 3.1 document, with
exactly the routes of the JSON API (paths and methods, from the URL map), whose lists
come from the policy and the domain, and whose schemas and statuses match what every
operation really answers (the fuzz suite then holds a real server to it at length)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.test import TestResponse

from consent_ui import ConsentUI, create_app
from consent_ui.consent import ACTIONS, SURFACES
from tests.conftest import ALLOWED_ORIGIN, SECRET

#: The URL prefixes whose every route the document describes. The dashboard's JSON
#: routes join with one entry: "/admin/api/".
DOCUMENTED_PREFIXES = ("/api/", "/.well-known/")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "CONSENT_SECRET_KEY": SECRET,
            "CONSENT_DATABASE": str(tmp_path_factory.mktemp("openapi") / "c.db"),
            "CONSENT_ALLOWED_ORIGINS": ALLOWED_ORIGIN,
            "CONSENT_TRUSTED_PROXIES": 1,
        }
    )
    yield app
    ConsentUI.state(app).store.close()


@pytest.fixture(scope="module")
def document(service: Flask) -> dict[str, Any]:
    response = service.test_client().get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def openapi_path(rule: str) -> str:
    """``/x/<int:id>`` → ``/x/{id}``."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_the_document_describes_exactly_the_routes(
    service: Flask, document: dict[str, Any]
) -> None:
    routes = {
        (openapi_path(rule.rule), method.lower())
        for rule in service.url_map.iter_rules()
        if rule.rule.startswith(DOCUMENTED_PREFIXES)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    described = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }
    assert described == routes


def test_its_lists_come_from_the_policy_and_the_domain(
    service: Flask, document: dict[str, Any]
) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["CategoryKey"]["enum"] == list(ConsentUI.state(service).policy.keys)
    assert schemas["Choice"]["properties"]["action"]["enum"] == list(ACTIONS)
    assert schemas["Choice"]["properties"]["surface"]["enum"] == list(SURFACES)


def test_the_server_is_the_root_of_the_service(service: Flask) -> None:
    client = service.test_client()
    assert client.get("/api/openapi.json").get_json()["servers"] == [{"url": "/"}]
    behind = client.get("/api/openapi.json", headers={"X-Forwarded-Prefix": "/consent-ui"})
    assert behind.get_json()["servers"] == [{"url": "/consent-ui"}]
    assert "X-Forwarded-Prefix" in behind.vary


# ---- every operation answers as described ----


class Described:
    """Checks answers against the document: a documented status, and its schema."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self.registry = Registry().with_resource("urn:consent-ui:openapi", resource)
        self.seen: set[tuple[str, str, int]] = set()

    def check(self, response: TestResponse, method: str, path: str) -> None:
        operation = self.document["paths"][path][method]
        status = str(response.status_code)
        assert status in operation["responses"], f"{method} {path}: {status} undocumented"
        described = self.resolve(operation["responses"][status])
        schema = described["content"][response.mimetype]["schema"]
        validator = Draft202012Validator(
            {"$ref": "urn:consent-ui:openapi#" + pointer(schema)} if "$ref" in schema else schema,
            registry=self.registry,
            format_checker=FormatChecker(),
        )
        errors = [e.message for e in validator.iter_errors(response.get_json())]
        assert errors == [], f"{method} {path} {status}: {errors}"
        for name, header in described.get("headers", {}).items():
            if self.resolve(header).get("required"):
                assert name in response.headers, f"{method} {path} {status}: no {name}"
        self.seen.add((method, path, response.status_code))

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.document
            for part in pointer(node).strip("/").split("/"):
                target = target[part]
            node = target
        return node


def pointer(node: dict[str, Any]) -> str:
    return node["$ref"].removeprefix("#")


def test_every_operation_answers_as_described(service: Flask, document: dict[str, Any]) -> None:
    described = Described(document)
    client: FlaskClient = service.test_client()
    check = described.check

    check(client.get("/api/policy?lang=fr"), "get", "/api/policy")
    check(client.get("/api/openapi.json"), "get", "/api/openapi.json")
    check(client.get("/.well-known/gpc.json"), "get", "/.well-known/gpc.json")
    check(client.get("/api/consent"), "get", "/api/consent")
    check(client.get("/api/consent/history"), "get", "/api/consent/history")
    check(client.delete("/api/consent"), "delete", "/api/consent")

    body = {"action": "custom", "categories": ["statistics"], "surface": "banner", "page": "/x"}
    check(client.post("/api/consent", json=body), "post", "/api/consent")
    check(client.get("/api/consent"), "get", "/api/consent")
    check(client.get("/api/consent/history"), "get", "/api/consent/history")
    check(client.delete("/api/consent", json={"surface": "api"}), "delete", "/api/consent")
    check(client.get("/api/consent/history"), "get", "/api/consent/history")

    bad = {"action": "custom", "categories": ["nope"]}
    check(client.post("/api/consent", json=bad), "post", "/api/consent")
    check(client.post("/api/consent", data="x", content_type="text/plain"), "post", "/api/consent")
    check(
        client.post("/api/consent", json={"action": "accept_all", "x": "y" * 17000}),
        "post",
        "/api/consent",
    )
    check(
        client.post(
            "/api/consent", json={"action": "accept_all"}, headers={"Origin": "https://evil"}
        ),
        "post",
        "/api/consent",
    )
    check(client.get("/api/policy", headers={"Host": "a" * 64}), "get", "/api/policy")

    operations = {
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }
    assert {(m, p) for m, p, _ in described.seen} == operations
    assert {s for _, _, s in described.seen} == {200, 201, 400, 403, 404, 413, 415}
