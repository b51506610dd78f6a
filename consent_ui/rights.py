"""A visitor's rights over their records: access (and portability) and erasure.

A visitor writes to the privacy address with the consent id shown in "Cookie
management"; the operator answers from the dashboard or the command line, both through
these functions, so both find, export and erase alike and both leave an audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .consent import is_consent_id, isoformat
from .errors import InvalidConsentId, UnknownConsentId
from .store import ERASURE, AuditEntry, Store

ANONYMISE = ERASURE
EXPORT = "export"


def parse_consent_id(value: str | None) -> str:
    """A consent id as typed or pasted (spaces around, capitals): its canonical form."""
    candidate = (value or "").strip().lower()
    if not is_consent_id(candidate):
        raise InvalidConsentId((value or "").strip())
    return candidate


@dataclass(frozen=True)
class Access:
    """Every record of one consent id, the exact texts they showed, and what operators
    did about the id (an erasure leaves its audit row when no record is left)."""

    consent_id: str
    records: list[dict[str, Any]]
    texts: dict[str, str]
    audit: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        """The shape of ``/api/consent/history``, with the audit trail."""
        return {
            "id": self.consent_id,
            "records": self.records,
            "texts": self.texts,
            "audit": self.audit,
        }


def access(store: Store, consent_id: str) -> Access:
    """What the log holds about ``consent_id``; ``UnknownConsentId`` when nothing."""
    records = store.history(consent_id)
    audit = store.audit_trail(consent_id)
    if not records and not audit:
        raise UnknownConsentId(consent_id)
    hashes = [r["text_hash"] for r in records if r["text_hash"]]
    texts = store.texts(hashes)
    return Access(consent_id, records, {h: texts[h] for h in sorted(texts)}, audit)


def erase(store: Store, consent_id: str, *, now: datetime, ip_prefix: str | None) -> int:
    """Anonymise the id's records now, as retention does, and audit the act; returns
    how many. The audit row also ends the id's consent on every worker and node, as a
    withdrawal does. Nothing to anonymise is ``UnknownConsentId`` and writes nothing."""
    rows = store.anonymise(consent_id, now)
    if rows == 0:
        raise UnknownConsentId(consent_id)
    store.audit(AuditEntry(isoformat(now), ANONYMISE, consent_id, ip_prefix))
    return rows


def note_export(store: Store, period: str, *, now: datetime, ip_prefix: str | None) -> None:
    """An export of raw records leaves the log: the audit trail says when and which."""
    store.audit(AuditEntry(isoformat(now), EXPORT, period, ip_prefix))
