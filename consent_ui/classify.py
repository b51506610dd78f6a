"""Which category and service a cookie, a storage key or a request belongs to.

One function for every tool that looks at what a site stores or calls: the cookie
scanner, the QA kit's ``trackers`` fixture and the dashboard. Names match the policy's
declarations exactly as the snippet matches them when it deletes cookies (the same glob
patterns, ``Declaration.pattern``); requests match a service's ``hosts``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .policy import Category, Declaration, Policy, Service

COOKIE = "cookie"
LOCAL_STORAGE = "localStorage"
SESSION_STORAGE = "sessionStorage"
REQUEST = "request"
KINDS = (COOKIE, LOCAL_STORAGE, SESSION_STORAGE, REQUEST)


@dataclass(frozen=True)
class Classification:
    """What the policy says of one item; all None when nothing declares it."""

    kind: str
    name: str
    domain: str | None
    category: Category | None = None
    service: Service | None = None
    #: The declaration that matched (a cookie or storage key), None for a request.
    declaration: Declaration | None = None

    @property
    def declared(self) -> bool:
        return self.category is not None

    @property
    def category_key(self) -> str | None:
        return self.category.key if self.category else None

    @property
    def essential(self) -> bool:
        """Allowed before any choice: declared in a required category."""
        return self.category is not None and self.category.required

    def service_name(self, lang: str = "en") -> str | None:
        return self.service.name(lang) if self.service else None


def classify(policy: Policy, kind: str, name: str, domain: str | None = None) -> Classification:
    """Classify a cookie (``name``, set on ``domain``), a localStorage or sessionStorage
    key, or a request (``name`` its URL, ``domain`` its host) against ``policy``.

    A cookie declaration with a ``domain`` matches only cookies of that domain or its
    subdomains; the first declaration in policy order that matches wins.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
    for category in policy.categories:
        for service in category.services:
            if kind == REQUEST:
                if domain and service.serves(domain):
                    return Classification(kind, name, domain, category, service)
                continue
            declarations = service.cookies if kind == COOKIE else service.storage
            for declaration in declarations:
                if declaration.matches(name) and _on_domain(declaration, domain):
                    return Classification(kind, name, domain, category, service, declaration)
    return Classification(kind, name, domain)


def _on_domain(declaration: Declaration, domain: str | None) -> bool:
    if declaration.domain is None:
        return True
    if domain is None:
        return False
    wanted = declaration.domain.lower().lstrip(".")
    have = domain.lower().lstrip(".")
    return have == wanted or have.endswith("." + wanted)
