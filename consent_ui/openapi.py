"""The OpenAPI 3.1 description of the JSON API, served at ``/api/openapi.json``.

Built here rather than kept as a file, so that every list in it comes from its one
source of truth: the actions, surfaces and languages from the domain, the category keys
from the policy. A test compares its paths and methods with the routes, and the fuzz
suite (schemathesis) holds every answer of a real server to it.
"""

from __future__ import annotations

from typing import Any

from .consent import ACTIONS, LOG_ACTIONS, MAX_PAGE, PAGE_PATTERN, SURFACES
from .extension import TOKEN_HEADER
from .policy import LANGUAGES, Policy

Schema = dict[str, Any]

ISO_SECOND = {"type": "string", "format": "date-time", "pattern": r"Z$"}


def _ref(kind: str, name: str) -> Schema:
    return {"$ref": f"#/components/{kind}/{name}"}


def _object(properties: dict[str, Schema], *, optional: tuple[str, ...] = ()) -> Schema:
    """A closed object: exactly these properties, all required but ``optional``."""
    return {
        "type": "object",
        "properties": properties,
        "required": [k for k in properties if k not in optional],
        "additionalProperties": False,
    }


def _json(schema: Schema, description: str, **extra: Any) -> Schema:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
        **extra,
    }


def _errors(*statuses: int) -> dict[str, Schema]:
    return {str(s): _ref("responses", f"Error{s}") for s in (400, *statuses)}


ERROR_TEXTS = {
    400: "Bad input: a field, JSON that is not an object, a bad Host or X-Forwarded-* header.",
    403: "A write from an origin that is not allowed.",
    404: "No valid consent for the caller (none, tampered, expired, outdated or withdrawn).",
    413: "A body over 16 KB, refused before it is read.",
    415: "A body that is not application/json.",
    503: "The log could not take the record in time; nothing was acknowledged.",
}


def _components(policy: Policy) -> Schema:
    consent = {
        "id": {"type": "string", "format": "uuid"},
        "categories": {"type": "array", "items": _ref("schemas", "CategoryKey")},
        "revision": {"type": "integer"},
        "issued_at": ISO_SECOND,
        "expires_at": ISO_SECOND,
    }
    nullable = {"type": ["string", "null"]}
    declaration = _object(
        {"name": {"type": "string"}, "domain": nullable, "duration": nullable, "purpose": nullable}
    )
    service = _object(
        {
            "name": {"type": "string"},
            "provider": {"type": "string"},
            "privacy_url": nullable,
            "cookies": {"type": "array", "items": declaration},
            "storage": {"type": "array", "items": declaration},
            # The hosts its requests go to (globs), which the scanner classifies with.
            "hosts": {"type": "array", "items": {"type": "string"}},
        }
    )
    category = _object(
        {
            "key": _ref("schemas", "CategoryKey"),
            "required": {"type": "boolean"},
            "label": {"type": "string"},
            "description": {"type": "string"},
            "services": {"type": "array", "items": service},
        }
    )
    record = _object(
        {
            "created_at": ISO_SECOND,
            "action": {"enum": list(LOG_ACTIONS)},
            "categories": {"type": "array", "items": _ref("schemas", "CategoryKey")},
            "revision": {"type": "integer"},
            "text_hash": {"type": ["string", "null"], "pattern": "^[0-9a-f]{64}$"},
            "lang": {"enum": list(LANGUAGES)},
            "surface": {"enum": list(SURFACES)},
            "page": nullable,
            "gpc": {"type": "boolean"},
            "expires_at": {"type": ["string", "null"], "format": "date-time"},
            "ip_prefix": {"type": ["string", "null"]},
        }
    )
    where = {
        "surface": {"enum": list(SURFACES), "default": "api"},
        "page": {
            "type": ["string", "null"],
            "maxLength": MAX_PAGE,
            "pattern": f"{PAGE_PATTERN}|^$",
            "description": "The path the choice was made on (query and fragment dropped).",
        },
        "lang": {"enum": [*LANGUAGES, "", None], "description": "Default: the request's."},
        "gpc": {"type": "boolean", "description": "Global Privacy Control seen by the page."},
    }
    responses = {
        f"Error{status}": _json(_ref("schemas", "Error"), text)
        for status, text in ERROR_TEXTS.items()
    }
    responses["Error503"]["headers"] = {
        "Retry-After": {"required": True, "schema": {"type": "integer", "minimum": 1}}
    }
    return {
        "schemas": {
            "CategoryKey": {"enum": list(policy.keys), "description": "From the policy file."},
            "Choice": {
                "type": "object",
                "required": ["action"],
                "properties": {"action": {"enum": list(ACTIONS)}, "categories": {}, **where},
                # ``categories`` is read only for a custom choice: the optional keys granted.
                "if": {"properties": {"action": {"const": "custom"}}},
                "then": {
                    "required": ["categories"],
                    "properties": {
                        "categories": {"type": "array", "items": _ref("schemas", "CategoryKey")}
                    },
                },
            },
            "Withdrawal": {"type": "object", "properties": where},
            "Consent": _object(consent),
            "SignedConsent": _object({**consent, "token": {"type": "string"}}),
            "Withdrawn": _object(
                {
                    "id": {"type": "string", "format": "uuid"},
                    "action": {"const": "withdraw"},
                    "withdrawn_at": ISO_SECOND,
                }
            ),
            "History": _object(
                {
                    "id": {"type": "string", "format": "uuid"},
                    "records": {"type": "array", "items": record},
                    "texts": {"type": "object", "additionalProperties": {"type": "string"}},
                }
            ),
            "Policy": _object(
                {
                    "revision": {"type": "integer"},
                    "lang": {"enum": list(LANGUAGES)},
                    "google_consent_mode": {"type": "boolean"},
                    "categories": {"type": "array", "items": category},
                }
            ),
            "Error": _object(
                {
                    "error": _object(
                        {
                            "code": {"type": "string", "pattern": "^[a-z_]+$"},
                            "message": {"type": "string", "minLength": 1},
                        }
                    )
                }
            ),
        },
        "parameters": {
            "Token": {
                "name": TOKEN_HEADER,
                "in": "header",
                "schema": {"type": "string"},
                "description": "The consent token, as the cookie holds it (either may be sent).",
            },
            "Cookie": {
                "name": "consent",
                "in": "cookie",
                "schema": {"type": "string"},
                "description": "The consent cookie (its name is CONSENT_COOKIE_NAME).",
            },
            "Lang": {
                "name": "lang",
                "in": "query",
                "schema": {"type": "string"},
                "description": f"One of {', '.join(LANGUAGES)}; anything else is ignored.",
            },
            "Origin": {
                "name": "Origin",
                "in": "header",
                "schema": {"type": "string"},
                "description": "Writes from another origin than the service's or an allowed "
                "one (CONSENT_ALLOWED_ORIGINS) are refused with 403.",
            },
            "GPC": {
                "name": "Sec-GPC",
                "in": "header",
                "schema": {"type": "string"},
                "description": "Global Privacy Control: exactly 1 to signal it.",
            },
        },
        "responses": responses,
        "headers": {
            "SetCookie": {
                "schema": {"type": "string"},
                "description": "The consent cookie, set (a choice) or cleared (a withdrawal).",
            }
        },
    }


def document(policy: Policy, server: str) -> Schema:
    """The description of the API of a service whose root is ``server`` (a path)."""
    token = [_ref("parameters", "Token"), _ref("parameters", "Cookie")]
    writes = [*token, _ref("parameters", "Origin"), _ref("parameters", "GPC")]
    signed = _json(_ref("schemas", "SignedConsent"), "The choice, logged and signed.")
    signed["headers"] = {"Set-Cookie": _ref("headers", "SetCookie")}
    withdrawn = _json(_ref("schemas", "Withdrawn"), "Withdrawn: logged, the id ended.")
    withdrawn["headers"] = {"Set-Cookie": _ref("headers", "SetCookie")}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "consent-ui",
            "version": _version(),
            "summary": "Record, read and withdraw a visitor's cookie consent; read the policy.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": server}],
        "paths": {
            "/api/policy": {
                "get": {
                    "operationId": "getPolicy",
                    "summary": "Categories, services, their cookies and texts, in one language.",
                    "parameters": [_ref("parameters", "Lang")],
                    "responses": {
                        "200": _json(_ref("schemas", "Policy"), "The policy."),
                        **_errors(),
                    },
                }
            },
            "/api/consent": {
                "post": {
                    "operationId": "recordConsent",
                    "summary": "Record a choice; the answer carries the signed token.",
                    "parameters": writes,
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("schemas", "Choice")}},
                    },
                    "responses": {"201": signed, **_errors(403, 413, 415, 503)},
                },
                "get": {
                    "operationId": "readConsent",
                    "summary": "The caller's current consent (token header or cookie).",
                    "parameters": token,
                    "responses": {
                        "200": _json(_ref("schemas", "Consent"), "The verified consent."),
                        **_errors(404),
                    },
                },
                "delete": {
                    "operationId": "withdrawConsent",
                    "summary": "Withdraw the caller's consent: logged, cookie cleared.",
                    "parameters": writes,
                    "requestBody": {
                        "required": False,
                        "content": {"application/json": {"schema": _ref("schemas", "Withdrawal")}},
                    },
                    "responses": {"200": withdrawn, **_errors(403, 404, 413, 415, 503)},
                },
            },
            "/api/consent/history": {
                "get": {
                    "operationId": "consentHistory",
                    "summary": "Every record of the caller's consent id, with the texts shown.",
                    "parameters": token,
                    "responses": {
                        "200": _json(_ref("schemas", "History"), "Records, oldest first."),
                        **_errors(404),
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document.",
                    "responses": {
                        "200": _json({"type": "object"}, "The OpenAPI description."),
                        **_errors(),
                    },
                }
            },
            "/.well-known/gpc.json": {
                "get": {
                    "operationId": "gpcSupport",
                    "summary": "Global Privacy Control support resource.",
                    "responses": {
                        "200": _json(
                            _object(
                                {
                                    "gpc": {"const": True},
                                    "lastUpdate": {"type": "string", "format": "date"},
                                }
                            ),
                            "GPC is honoured.",
                        ),
                        **_errors(),
                    },
                }
            },
        },
        "components": _components(policy),
    }


def _version() -> str:
    from . import __version__

    return __version__
