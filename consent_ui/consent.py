"""A visitor's choice and the consent that results from it.

Untrusted input (a JSON body or a form) is parsed once, here, into a ``Choice``;
``decide`` turns a choice into the categories granted under the policy and the
Global Privacy Control signal. Nothing here knows about Flask or SQLite.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .errors import InvalidField, InvalidJSON, MissingField, UnknownCategory
from .policy import LANGUAGES, Policy

ACTIONS = ("accept_all", "reject_all", "custom")
#: Every action the log records: the choices plus a full withdrawal.
LOG_ACTIONS = (*ACTIONS, "withdraw")
SURFACES = ("banner", "preferences", "placeholder", "api")
MAX_PAGE = 2048
#: A page is a path, or an http(s) URL whose path is kept; what follows ``?`` or ``#``
#: is dropped. A regular expression, not a URL parser (which raises on authorities such
#: as ``//[``), and the same one the OpenAPI document gives.
PAGE_PATTERN = r"^(/|[Hh][Tt][Tt][Pp][Ss]?://[^/?#]+/)"
_PAGE = re.compile(PAGE_PATTERN)


@dataclass(frozen=True)
class Choice:
    """What a visitor chose, validated against the policy."""

    action: str
    #: The optional categories named by a ``custom`` choice (empty otherwise).
    categories: frozenset[str]
    surface: str
    page: str | None
    lang: str
    gpc: bool

    @classmethod
    def parse(
        cls,
        data: Any,
        policy: Policy,
        *,
        default_lang: Callable[[], str],
        gpc_signal: bool = False,
        actions: tuple[str, ...] = ACTIONS,
    ) -> Choice:
        """Parse a decoded JSON body (or form data shaped the same way).

        ``default_lang`` is called only when the data names no language (working out the
        request's preferred language is a tenth of a consent write's time)."""
        if not isinstance(data, Mapping):
            raise InvalidJSON()
        action = data.get("action")
        if action is None:
            raise MissingField("action")
        if action not in actions:
            raise InvalidField("action", allowed=actions)
        categories: frozenset[str] = frozenset()
        if action == "custom":
            if "categories" not in data:
                raise MissingField("categories")
            categories = _categories(data["categories"], policy)
        surface = data.get("surface", "api")
        if surface not in SURFACES:
            raise InvalidField("surface", allowed=SURFACES)
        lang = data.get("lang")
        if lang is None or lang == "":
            lang = default_lang()
        if lang not in LANGUAGES:
            raise InvalidField("lang", allowed=LANGUAGES)
        gpc = data.get("gpc", False)
        if not isinstance(gpc, bool):
            raise InvalidField("gpc", allowed=("true", "false"))
        return cls(
            action=action,
            categories=categories,
            surface=surface,
            page=_page(data.get("page")),
            lang=lang,
            gpc=gpc or gpc_signal,
        )


def _categories(value: Any, policy: Policy) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise InvalidField("categories", kind="keys")
    for key in value:
        if key not in policy.keys:
            raise UnknownCategory(key)
    return frozenset(value) - set(policy.required_keys)


def _page(value: Any) -> str | None:
    """The path a choice was made on; the query string and fragment are dropped."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_PAGE:
        raise InvalidField("page", kind="path", limit=MAX_PAGE)
    start = _PAGE.match(value)
    if start is None:
        raise InvalidField("page", kind="path", limit=MAX_PAGE)
    path = value[start.end() - 1 :]
    return re.split(r"[?#]", path, maxsplit=1)[0]


def decide(choice: Choice, policy: Policy) -> tuple[str, ...]:
    """The categories granted by a choice, required ones included, in policy order.

    Under Global Privacy Control, "accept all" leaves the GPC categories off; only a
    custom choice that names them one by one turns them on.
    """
    if choice.action == "accept_all":
        granted = set(policy.optional_keys)
        if choice.gpc:
            granted -= policy.gpc_keys
    elif choice.action == "reject_all":
        granted = set()
    else:
        granted = set(choice.categories)
    return policy.ordered({*policy.required_keys, *granted})


@dataclass(frozen=True)
class Consent:
    """A verified consent: who (a random id), what was granted, under which revision."""

    id: str
    granted: tuple[str, ...]
    revision: int
    issued_at: datetime
    expires_at: datetime

    def has(self, key: str) -> bool:
        return key in self.granted

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "categories": list(self.granted),
            "revision": self.revision,
            "issued_at": isoformat(self.issued_at),
            "expires_at": isoformat(self.expires_at),
        }


def new_consent_id() -> str:
    return str(uuid.uuid4())


def is_consent_id(value: Any) -> bool:
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value
    except ValueError:
        return False


def utcnow() -> datetime:
    """Now, in UTC, to the second (the log's and the token's resolution)."""
    return datetime.now(UTC).replace(microsecond=0)


def isoformat(moment: datetime) -> str:
    """UTC ISO 8601 with a Z, to the second, as in the log."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
