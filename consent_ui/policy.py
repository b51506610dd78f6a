"""The site's cookie policy: revision, categories, services and what they store.

The policy file (TOML) is the single source of truth for categories. Everything else
(the API, templates, the snippet's data, the declaration table, tests) derives from the
``Policy`` value loaded here. A file with a mistake stops start-up with a message naming
the file, the key and the problem.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import PolicyError

#: Every text of the policy exists in each of these languages; the first is the fallback.
LANGUAGES = ("en", "fr")

BUILTIN_POLICY = Path(__file__).with_name("default_policy.toml")

#: Google Consent Mode v2 storage types.
CONSENT_MODE_TYPES = (
    "ad_storage",
    "ad_user_data",
    "ad_personalization",
    "analytics_storage",
    "functionality_storage",
    "personalization_storage",
    "security_storage",
)

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_NAME = re.compile(r"^[A-Za-z0-9_.*?:\-]{1,100}$")
#: A host name, or a glob of them (``*.doubleclick.net``); no scheme, port or path.
_LABEL = r"[a-z0-9*?]([a-z0-9*?\-]*[a-z0-9*?])?"
_HOST = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")


def glob_pattern(glob: str) -> str:
    """A name that may hold ``*`` and ``?`` as an anchored regular expression, the same
    in Python and in JavaScript (the snippet receives these patterns)."""
    parts = (".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in glob)
    return "^" + "".join(parts) + "$"


@dataclass(frozen=True)
class Text:
    """A text in every supported language."""

    values: Mapping[str, str]

    def __call__(self, lang: str) -> str:
        return self.values.get(lang) or self.values[LANGUAGES[0]]


@dataclass(frozen=True)
class Declaration:
    """A cookie or a storage key a service sets; ``name`` may be a glob such as ``_ga_*``."""

    name: str
    duration: Text | None = None
    purpose: Text | None = None
    domain: str | None = None

    @property
    def pattern(self) -> str:
        """The name as an anchored regular expression that Python and JavaScript share."""
        return glob_pattern(self.name)

    def matches(self, name: str) -> bool:
        return re.match(self.pattern, name) is not None

    def to_json(self, lang: str) -> dict[str, Any]:
        return {
            "name": self.name,
            "domain": self.domain,
            "duration": self.duration(lang) if self.duration else None,
            "purpose": self.purpose(lang) if self.purpose else None,
        }


@dataclass(frozen=True)
class Service:
    name: Text
    provider: Text
    privacy_url: str | None
    cookies: tuple[Declaration, ...]
    storage: tuple[Declaration, ...]
    #: The hosts its requests go to; globs such as ``*.doubleclick.net`` allowed.
    hosts: tuple[str, ...] = ()

    def serves(self, host: str) -> bool:
        """Whether a request to ``host`` is this service's."""
        host = host.lower().rstrip(".")
        return any(re.match(glob_pattern(h), host) for h in self.hosts)

    def to_json(self, lang: str) -> dict[str, Any]:
        return {
            "name": self.name(lang),
            "provider": self.provider(lang),
            "privacy_url": self.privacy_url,
            "cookies": [c.to_json(lang) for c in self.cookies],
            "storage": [s.to_json(lang) for s in self.storage],
            "hosts": list(self.hosts),
        }


@dataclass(frozen=True)
class Category:
    key: str
    required: bool
    label: Text
    description: Text
    services: tuple[Service, ...]
    #: Google Consent Mode types this category grants.
    consent_mode: tuple[str, ...]
    #: Kept off under Global Privacy Control unless chosen one by one.
    gpc: bool

    @property
    def cookies(self) -> tuple[Declaration, ...]:
        return tuple(c for s in self.services for c in s.cookies)

    @property
    def storage(self) -> tuple[Declaration, ...]:
        return tuple(k for s in self.services for k in s.storage)

    def to_json(self, lang: str) -> dict[str, Any]:
        return {
            "key": self.key,
            "required": self.required,
            "label": self.label(lang),
            "description": self.description(lang),
            "services": [s.to_json(lang) for s in self.services],
        }


@dataclass(frozen=True)
class Controller:
    """Who is responsible for the data, and where people send privacy requests."""

    name: str
    email: str
    address: Text


@dataclass(frozen=True)
class Policy:
    revision: int
    google_consent_mode: bool
    categories: tuple[Category, ...]
    source: str
    controller: Controller | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.categories)

    @property
    def required_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.categories if c.required)

    @property
    def optional_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.categories if not c.required)

    @property
    def gpc_keys(self) -> frozenset[str]:
        return frozenset(c.key for c in self.categories if c.gpc)

    def category(self, key: str) -> Category:
        for category in self.categories:
            if category.key == key:
                return category
        raise KeyError(key)

    def ordered(self, keys: Iterable[str]) -> tuple[str, ...]:
        """The given keys in policy order, unknown ones dropped."""
        wanted = set(keys)
        return tuple(k for k in self.keys if k in wanted)

    def to_json(self, lang: str) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "lang": lang,
            "google_consent_mode": self.google_consent_mode,
            "categories": [c.to_json(lang) for c in self.categories],
        }


def load_policy(path: str | Path | None = None) -> Policy:
    """Read and validate a policy file; the built-in policy when ``path`` is None."""
    path = Path(path) if path else BUILTIN_POLICY
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise PolicyError(source, "", f"cannot be read ({e.strerror or e})") from e
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise PolicyError(source, "", "is not UTF-8 text") from e
    except tomllib.TOMLDecodeError as e:
        # tomllib reports duplicate keys here too ("Cannot overwrite a value").
        raise PolicyError(source, "", f"is not valid TOML: {e}") from e
    return _Reader(source).policy(data)


def policy_from_api(data: Any, source: str) -> Policy:
    """The policy a running consent-ui publishes at ``/api/policy`` (texts in one language),
    for the tools that classify what a site stores against it: the scanner, the QA kit.

    It goes through the same validation as a policy file; a mistake names ``source``.
    """
    reader = _Reader(source)
    if not isinstance(data, dict) or not isinstance(data.get("categories"), list):
        raise reader.fail("categories", "is not the answer of GET /api/policy")

    def texts(value: Any) -> Any:
        return dict.fromkeys(LANGUAGES, value) if isinstance(value, str) else value

    def declaration(item: Any) -> Any:
        if not isinstance(item, dict):
            return item
        kept = {k: v for k, v in item.items() if v is not None}
        return {k: texts(v) if k in ("duration", "purpose") else v for k, v in kept.items()}

    categories = {}
    for category in data["categories"]:
        if not isinstance(category, dict) or not isinstance(category.get("key"), str):
            raise reader.fail("categories", "each category needs a key")
        services = [
            {
                **{k: v for k, v in service.items() if v is not None},
                "cookies": [declaration(c) for c in service.get("cookies", [])],
                "storage": [declaration(k) for k in service.get("storage", [])],
            }
            for service in category.get("services", [])
            if isinstance(service, dict)
        ]
        categories[category["key"]] = {
            "required": category.get("required", False),
            "label": texts(category.get("label")),
            "description": texts(category.get("description")),
            "services": services,
        }
    return reader.policy(
        {
            "revision": data.get("revision"),
            "google_consent_mode": data.get("google_consent_mode", False),
            "categories": categories,
        }
    )


class _Reader:
    """Turns the parsed TOML into a ``Policy``, naming the key of every problem."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> PolicyError:
        return PolicyError(self.source, key, problem)

    def table(self, value: Any, key: str, allowed: set[str], required: set[str]) -> dict:
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table")
        for name in value:
            if name not in allowed:
                where = f"{key}.{name}" if key else name
                raise self.fail(where, f"unknown key (allowed: {', '.join(sorted(allowed))})")
        for name in sorted(required - value.keys()):
            raise self.fail(f"{key}.{name}" if key else name, "is missing")
        return value

    def string(self, value: Any, key: str, *, pattern: re.Pattern | None = None) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "must be a non-empty string")
        if pattern and not pattern.match(value):
            raise self.fail(key, f"“{value}” is not allowed here (pattern {pattern.pattern})")
        return value

    def text(self, value: Any, key: str) -> Text:
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table of texts ({', '.join(LANGUAGES)})")
        for lang in value:
            if lang not in LANGUAGES:
                raise self.fail(f"{key}.{lang}", f"unknown language (supported: {LANGUAGES})")
        names = {"en": "English", "fr": "French"}
        for lang in LANGUAGES:
            if lang not in value:
                raise self.fail(key, f"missing the {names.get(lang, lang)} text ({lang})")
            self.string(value[lang], f"{key}.{lang}")
        return Text(dict(value))

    def text_or_string(self, value: Any, key: str) -> Text:
        """A text in every language, or one string for all (a brand name, an address)."""
        if isinstance(value, str):
            return Text(dict.fromkeys(LANGUAGES, self.string(value, key)))
        return self.text(value, key)

    def policy(self, data: dict) -> Policy:
        self.table(
            data,
            "",
            {"revision", "google_consent_mode", "categories", "controller"},
            {"revision", "categories"},
        )
        revision = data["revision"]
        if isinstance(revision, bool) or not isinstance(revision, int) or revision < 1:
            raise self.fail("revision", "must be a whole number of 1 or more")
        gcm = data.get("google_consent_mode", False)
        if not isinstance(gcm, bool):
            raise self.fail("google_consent_mode", "must be true or false")
        categories = data["categories"]
        if not isinstance(categories, dict) or not categories:
            raise self.fail("categories", "must hold at least one category table")
        parsed = tuple(self.category(k, v) for k, v in categories.items())
        if not any(c.required for c in parsed):
            raise self.fail("categories", "need one required category (essential)")
        if all(c.required for c in parsed):
            raise self.fail("categories", "need at least one optional category")
        self.unique_names(parsed)
        controller = self.controller(data["controller"]) if "controller" in data else None
        return Policy(revision, gcm, parsed, self.source, controller)

    def controller(self, value: Any) -> Controller:
        keys = {"name", "email", "address"}
        self.table(value, "controller", keys, keys)
        email = self.string(value["email"], "controller.email")
        if "@" not in email or any(ch.isspace() for ch in email):
            raise self.fail("controller.email", f"“{email}” is not an e-mail address")
        return Controller(
            name=self.string(value["name"], "controller.name"),
            email=email,
            address=self.text_or_string(value["address"], "controller.address"),
        )

    def category(self, key: str, value: Any) -> Category:
        where = f"categories.{key}"
        self.string(key, where, pattern=_KEY)
        self.table(
            value,
            where,
            {"required", "label", "description", "services", "consent_mode", "gpc"},
            {"label", "description"},
        )
        required = value.get("required", False)
        if not isinstance(required, bool):
            raise self.fail(f"{where}.required", "must be true or false")
        if key == "essential" and not required:
            raise self.fail(f"{where}.required", "the essential category must be required = true")
        gpc = value.get("gpc", False)
        if not isinstance(gpc, bool):
            raise self.fail(f"{where}.gpc", "must be true or false")
        if required and gpc:
            raise self.fail(f"{where}.gpc", "a required category cannot be switched off by GPC")
        modes = value.get("consent_mode", [])
        if not isinstance(modes, list):
            raise self.fail(f"{where}.consent_mode", "must be a list")
        for i, mode in enumerate(modes):
            if mode not in CONSENT_MODE_TYPES:
                raise self.fail(
                    f"{where}.consent_mode[{i}]",
                    f"“{mode}” is not a Google Consent Mode type ({', '.join(CONSENT_MODE_TYPES)})",
                )
        services = value.get("services", [])
        if not isinstance(services, list):
            raise self.fail(f"{where}.services", "must be an array of tables ([[…services]])")
        return Category(
            key=key,
            required=required,
            label=self.text(value["label"], f"{where}.label"),
            description=self.text(value["description"], f"{where}.description"),
            services=tuple(
                self.service(s, f"{where}.services[{i}]") for i, s in enumerate(services)
            ),
            consent_mode=tuple(modes),
            gpc=gpc,
        )

    def service(self, value: Any, where: str) -> Service:
        self.table(
            value,
            where,
            {"name", "provider", "privacy_url", "cookies", "storage", "hosts"},
            {"name", "provider"},
        )
        privacy_url = value.get("privacy_url")
        if privacy_url is not None:
            url = self.string(privacy_url, f"{where}.privacy_url")
            if not url.startswith(("https://", "http://", "/")):
                raise self.fail(f"{where}.privacy_url", "must be an http(s) URL or a site path")
        declarations = {}
        for kind in ("cookies", "storage"):
            items = value.get(kind, [])
            if not isinstance(items, list):
                raise self.fail(f"{where}.{kind}", "must be a list")
            declarations[kind] = tuple(
                self.declaration(item, f"{where}.{kind}[{i}]", needs_texts=kind == "cookies")
                for i, item in enumerate(items)
            )
        hosts = value.get("hosts", [])
        if not isinstance(hosts, list):
            raise self.fail(f"{where}.hosts", "must be a list of host names")
        for i, host in enumerate(hosts):
            if not isinstance(host, str) or not _HOST.match(host):
                raise self.fail(
                    f"{where}.hosts[{i}]",
                    f"“{host}” is not a host name such as www.example.org or *.example.org "
                    "(lower case, no scheme, port or path)",
                )
        return Service(
            name=self.text_or_string(value["name"], f"{where}.name"),
            provider=self.text_or_string(value["provider"], f"{where}.provider"),
            privacy_url=privacy_url,
            cookies=declarations["cookies"],
            storage=declarations["storage"],
            hosts=tuple(hosts),
        )

    def declaration(self, value: Any, where: str, *, needs_texts: bool) -> Declaration:
        if isinstance(value, str) and not needs_texts:
            return Declaration(self.string(value, where, pattern=_NAME))
        required = {"name", "duration", "purpose"} if needs_texts else {"name"}
        self.table(value, where, {"name", "duration", "purpose", "domain"}, required)
        domain = value.get("domain")
        return Declaration(
            name=self.string(value["name"], f"{where}.name", pattern=_NAME),
            duration=self.text(value["duration"], f"{where}.duration")
            if "duration" in value
            else None,
            purpose=self.text(value["purpose"], f"{where}.purpose") if "purpose" in value else None,
            domain=self.string(domain, f"{where}.domain") if domain is not None else None,
        )

    def unique_names(self, categories: tuple[Category, ...]) -> None:
        seen: dict[tuple[str, str], str] = {}
        for category in categories:
            for i, service in enumerate(category.services):
                where = f"categories.{category.key}.services[{i}]"
                for kind, items in (("cookies", service.cookies), ("storage", service.storage)):
                    for item in items:
                        if (kind, item.name) in seen:
                            raise self.fail(
                                f"{where}.{kind}",
                                f"“{item.name}” is declared twice "
                                f"(first in {seen[kind, item.name]})",
                            )
                        seen[kind, item.name] = where
