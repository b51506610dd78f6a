"""``--suggest``: policy TOML for the undeclared cookies and storage keys a scan found,
filled in from the Open Cookie Database.

The catalogue ships with the package (``data/``: a pinned copy, its Apache-2.0 licence
and a NOTICE saying where it comes from; it is on no package index). It names the
platform, category, retention and purpose of 2,264 known cookies and keys, in English
only: the French texts of a suggestion say so instead of guessing a translation. The
output is TOML that ``tomllib`` reads; appended to a policy file, it declares the new
services (once the French texts and the categories are checked).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..classify import COOKIE
from ..policy import Policy
from .findings import Item

CATALOGUE = Path(__file__).with_name("data") / "open-cookie-database.csv"
#: What the French side of a suggestion says, before the English text it needs.
UNTRANSLATED = "À traduire : l’Open Cookie Database n’existe qu’en anglais. "  # noqa: RUF001
_NAME = re.compile(r"^[A-Za-z0-9_.*?:\-]{1,100}$")

#: The catalogue's categories and the built-in policy's keys they become.
CATEGORIES = {
    "Functional": None,  # the policy's required category
    "Necessary": None,
    "Security": None,
    "Analytics": "statistics",
    "Personalization": "personalization",
    "Marketing": "marketing",
}


@dataclass(frozen=True)
class Known:
    """One entry of the catalogue."""

    platform: str
    category: str
    name: str
    description: str
    retention: str
    controller: str
    privacy_url: str
    wildcard: bool

    @property
    def declared_name(self) -> str:
        return self.name + "*" if self.wildcard else self.name


@cache
def catalogue() -> tuple[Known, ...]:
    with CATALOGUE.open(encoding="utf-8", newline="") as f:
        return tuple(
            Known(
                platform=row["Platform"].strip(),
                category=row["Category"].strip(),
                name=row["Cookie / Data Key name"].strip(),
                description=row["Description"].strip(),
                retention=row["Retention period"].strip(),
                controller=row["Data Controller"].strip(),
                privacy_url=row["User Privacy & GDPR Rights Portals"].strip(),
                wildcard=row["Wildcard match"].strip() == "1",
            )
            for row in csv.DictReader(f)
            if row["Cookie / Data Key name"].strip()
        )


def lookup(name: str) -> Known | None:
    """The catalogue's entry for a cookie or key: its exact name, else the longest
    wildcard prefix that matches (``_ga_`` for ``_ga_1X2Y``)."""
    exact = [k for k in catalogue() if not k.wildcard and k.name == name]
    if exact:
        return exact[0]
    prefixes = [k for k in catalogue() if k.wildcard and name.startswith(k.name)]
    return max(prefixes, key=lambda k: len(k.name), default=None)


def _string(value: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, but for DEL."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _text(english: str) -> str:
    return f"{{ en = {_string(english)}, fr = {_string(UNTRANSLATED + english)} }}"


def _category(policy: Policy, known: Known) -> str:
    key = CATEGORIES.get(known.category, known.category.lower())
    if key is None:
        return policy.required_keys[0]
    return key


def suggest(policy: Policy, items: Iterable[Item]) -> str:
    """Policy TOML for the undeclared cookies and storage keys among ``items``."""
    undeclared = [i for i in items if not i.classification.declared and i.kind != "request"]
    services: dict[tuple[str, str, str, str], dict[str, dict[str, str]]] = {}
    unknown: list[Item] = []
    for item in undeclared:
        known = lookup(item.name)
        name = known.declared_name if known else ""
        if known and not _NAME.match(name):
            name = item.name if _NAME.match(item.name) else ""
        if not known or not name:
            unknown.append(item)
            continue
        key = (_category(policy, known), known.platform, known.controller, known.privacy_url)
        kind = "cookies" if item.kind == COOKIE else "storage"
        entries = services.setdefault(key, {"cookies": {}, "storage": {}})[kind]
        entries.setdefault(name, _declaration(name, known))
    lines = [
        "# Policy entries drafted by `consent-ui scan --suggest` from the Open Cookie Database",
        "# (Apache-2.0, shipped with consent-ui: consent_ui/scan/data/NOTICE) for the",
        f"# {len(undeclared)} undeclared cookies and storage keys the scan found. Check each",
        "# category, then append the entries to your policy file and raise its revision.",
        "# The catalogue is in English only: every French text says so; translate it.",
    ]
    for (category, platform, controller, privacy_url), kinds in services.items():
        lines += ["", f"[[categories.{category}.services]]"]
        if category not in policy.keys:
            lines.insert(-1, f"# “{category}” is not a category of your policy: choose one.")
        lines.append(f"name = {_string(platform)}")
        lines.append(f"provider = {_string(controller or platform)}")
        if privacy_url.startswith(("https://", "http://")):
            lines.append(f"privacy_url = {_string(privacy_url)}")
        for kind, entries in kinds.items():
            if entries:
                lines.append(f"{kind} = [")
                lines += [f"  {entry}," for entry in entries.values()]
                lines.append("]")
    if unknown:
        lines += [
            "",
            "# Not in the Open Cookie Database: declare them with the service that sets them.",
        ]
        for item in unknown:
            by = item.set_by.describe() if item.set_by else "an unknown script"
            lines.append(f"# - {item.kind} {_string(item.name)} on {item.domain}, set by {by}")
    return "\n".join(lines) + "\n"


def _declaration(name: str, known: Known) -> str:
    parts = [f"name = {_string(name)}"]
    if known.retention:
        parts.append(f"duration = {_text(known.retention)}")
    parts.append(f"purpose = {_text(known.description or known.platform)}")
    return "{ " + ", ".join(parts) + " }"
