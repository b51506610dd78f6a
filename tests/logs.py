"""A hand-made log shared by the tests of the figures, the dashboard and the command
line: five days of November 2026 with an empty day, Global Privacy Control, a change of
mind, a withdrawal, a tool's record, a record on each side, and the figures it gives."""

from __future__ import annotations

import dataclasses
from typing import Any

from consent_ui.store import Record

KEYS = ("statistics", "personalization", "marketing")
ALL = ("essential", *KEYS)
ALICE = "11111111-1111-4111-8111-111111111111"
BOB = "22222222-2222-4222-8222-222222222222"
CAROL = "33333333-3333-4333-8333-333333333333"
DAVE = "44444444-4444-4444-8444-444444444444"
ERIN = "55555555-5555-4555-8555-555555555555"


def record(consent_id: str, created_at: str, action: str, categories: tuple, **changes) -> Record:
    base = Record(
        consent_id=consent_id,
        created_at=created_at,
        action=action,
        categories=categories,
        revision=1,
        text_hash=None,
        lang="en",
        surface="banner",
        page="/",
        gpc=False,
        expires_at=None,
        ip_prefix="203.0.113.0",
    )
    return dataclasses.replace(base, **changes)


STATS = ("essential", "statistics")
BANNER = "b" * 64
PREFERENCES = "p" * 64
#: The exact texts shown, by hash.
TEXTS = {
    BANNER: "We use cookies for statistics, personalization and marketing. Reject all Accept all",
    PREFERENCES: "Cookie preferences Essential Always on Statistics Save my choices",
}
#: Five days of November 2026, and a record on each side of them.
LOG = (
    record(ERIN, "2026-10-31T23:59:59Z", "accept_all", ALL),  # the day before: out
    record(ALICE, "2026-11-01T09:00:00Z", "accept_all", ALL, text_hash=BANNER),
    # Under GPC, Accept all leaves personalization and marketing off.
    record(BOB, "2026-11-01T12:00:00Z", "accept_all", STATS, lang="fr", gpc=True),
    # The scanner's visit is proof like any record, but no visitor's: out of the figures.
    record(CAROL, "2026-11-02T10:00:00Z", "accept_all", ALL, agent="scanner"),
    # Alice changes her mind in the preferences (same id: not a new visitor).
    record(
        ALICE, "2026-11-03T10:00:00Z", "custom", STATS, surface="preferences",
        text_hash=PREFERENCES, page="/ads/studio-bastos",
    ),
    record(CAROL, "2026-11-03T23:59:59Z", "reject_all", ("essential",), lang="fr"),
    # Bob withdraws: a withdrawal, not a choice.
    record(
        BOB, "2026-11-04T08:00:00Z", "withdraw", ("essential",), lang="fr", gpc=True,
        surface="preferences",
    ),
    record(
        DAVE, "2026-11-05T00:00:00Z", "custom", ("essential", "marketing"),
        surface="placeholder", revision=2,
    ),
    record(ERIN, "2026-11-06T00:00:00Z", "reject_all", ("essential",)),  # the day after: out
)  # fmt: skip

ZERO_ACTIONS = {"accept_all": 0, "reject_all": 0, "custom": 0, "withdraw": 0}
ZERO_KEYS = dict.fromkeys(KEYS, 0)

EXPECTED = {
    "from": "2026-11-01",
    "to": "2026-11-05",
    "choices": 5,
    "withdrawals": 1,
    "visitors": 4,
    "actions": {"accept_all": 2, "reject_all": 1, "custom": 2, "withdraw": 1},
    "categories": {
        "statistics": {"granted": 3, "rate": 0.6},
        "personalization": {"granted": 1, "rate": 0.2},
        "marketing": {"granted": 2, "rate": 0.4},
    },
    "daily": [
        {
            "date": "2026-11-01",
            "choices": 2,
            "withdrawals": 0,
            "actions": {**ZERO_ACTIONS, "accept_all": 2},
            "categories": {"statistics": 2, "personalization": 1, "marketing": 1},
        },
        {
            "date": "2026-11-02",
            "choices": 0,
            "withdrawals": 0,
            "actions": ZERO_ACTIONS,
            "categories": ZERO_KEYS,
        },
        {
            "date": "2026-11-03",
            "choices": 2,
            "withdrawals": 0,
            "actions": {**ZERO_ACTIONS, "custom": 1, "reject_all": 1},
            "categories": {**ZERO_KEYS, "statistics": 1},
        },
        {
            "date": "2026-11-04",
            "choices": 0,
            "withdrawals": 1,
            "actions": {**ZERO_ACTIONS, "withdraw": 1},
            "categories": ZERO_KEYS,
        },
        {
            "date": "2026-11-05",
            "choices": 1,
            "withdrawals": 0,
            "actions": {**ZERO_ACTIONS, "custom": 1},
            "categories": {**ZERO_KEYS, "marketing": 1},
        },
    ],
    "by": {
        "lang": {"en": 3, "fr": 2},
        "surface": {"banner": 3, "preferences": 1, "placeholder": 1, "api": 0},
        "revision": {"1": 4, "2": 1},
        "gpc": {"0": 4, "1": 1},
    },
}


def fill(store: Any) -> Any:
    """Append ``LOG`` (with its texts) to a store; returns the store."""
    for r in LOG:
        store.append(r, TEXTS.get(r.text_hash or ""))
    return store
