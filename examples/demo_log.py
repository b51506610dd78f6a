"""A realistic month of consent records for the demo, written through the store.

``python3 dev.py seed`` runs it on the demo's log (``instance/consent.db``, or the log
of ``CONSENT_DATABASE``) so that the operator dashboard has something to show: about
1,500 visitors over the 30 days to today, more on weekdays, most of them in French,
some with Global Privacy Control, on the banner, the preferences page and the
placeholders of blocked embeds, a few who change their mind or withdraw, and the
scanner's own visits (kept as proof, left out of the figures). The records carry the
hashes of the texts the service really shows, and the texts themselves, so an access
request shows the exact words. It refuses a log that already holds more than a
thousand records: it is for demo logs, never for a real one.

Usage: python examples/demo_log.py [--days 30] [--visitors 50] [--seed 1] [--force]
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import random
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from consent_ui.agents import SCANNER
from consent_ui.consent import Choice, decide, isoformat, utcnow
from consent_ui.policy import Policy
from consent_ui.store import Record

PAGES = ("/", "/", "/", "/ads/toyota-corolla-2012", "/ads/studio-bastos", "/cookies", "/privacy")
NETWORKS = ("192.0.2.0", "198.51.100.0", "203.0.113.0", "2001:db8:4b1::", "2001:db8:9c0::")
#: Refuse to add demo records to a log larger than this (it is not a demo's).
DEMO_LOG_LIMIT = 1000


@dataclass(frozen=True)
class Texts:
    """The hash and the exact text of each surface, language and signal, as shown."""

    shown: dict[tuple[str, str, bool], tuple[str, str]]

    def of(self, surface: str, lang: str, gpc: bool) -> tuple[str | None, str | None]:
        return self.shown.get((surface, lang, gpc), (None, None))


def shown_texts(app) -> Texts:
    """What the service shows on each surface (rendered by the service itself)."""
    from consent_ui.policy import LANGUAGES
    from consent_ui.views import banner

    shown = {}
    with app.test_request_context("/"):
        for surface in ("banner", "preferences", "placeholder"):
            for lang in LANGUAGES:
                for gpc in (False, True):
                    found = banner.shown_text(surface, lang, gpc=gpc)
                    if found:
                        shown[(surface, lang, gpc)] = found
    return Texts(shown)


def _moment(rng: random.Random, day: date) -> datetime:
    """A time of day, mostly in the Yaoundé daytime (UTC+1)."""
    hour = min(23, max(0, int(rng.gauss(13, 4))))
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start + timedelta(hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))


def _choice(rng: random.Random, policy: Policy, surface: str, lang: str, gpc: bool) -> Choice:
    if surface == "placeholder":
        action, keys = "custom", {"marketing"} & set(policy.optional_keys)
    else:
        roll = rng.random()
        action = "accept_all" if roll < 0.52 else "reject_all" if roll < 0.85 else "custom"
        odds = {"statistics": 0.7, "personalization": 0.4, "marketing": 0.25}
        keys = {k for k in policy.optional_keys if rng.random() < odds.get(k, 0.3)}
    return Choice(
        action=action,
        categories=frozenset(keys if action == "custom" else ()),
        surface=surface,
        page=rng.choice(PAGES),
        lang=lang,
        gpc=gpc,
    )


def records(
    policy: Policy,
    texts: Texts,
    *,
    days: int = 30,
    visitors: int = 50,
    seed: int = 1,
    now: datetime | None = None,
    max_age_days: int = 182,
) -> Iterator[Record]:
    """The records of ``days`` days to ``now``, oldest first, a day at a time (so a
    million of them stream): about ``visitors`` first visits a weekday (two thirds of
    that at weekends)."""
    rng = random.Random(seed)
    now = now or utcnow()
    first = now.date() - timedelta(days=days - 1)
    #: Changes of mind and withdrawals to come, on a later day (a heap by time, then by
    #: order of making, so that records themselves are never compared).
    pending: list[tuple[str, int, Record]] = []
    order = itertools.count()

    def record(consent_id: str, at: datetime, choice: Choice, agent: str | None = None) -> Record:
        text_hash, _ = texts.of(choice.surface, choice.lang, choice.gpc)
        withdraw = choice.action == "withdraw"
        return Record(
            consent_id=consent_id,
            created_at=isoformat(at),
            action=choice.action,
            categories=policy.required_keys if withdraw else decide(choice, policy),
            revision=policy.revision,
            text_hash=None if withdraw else text_hash,
            lang=choice.lang,
            surface=choice.surface,
            page=choice.page,
            gpc=choice.gpc,
            expires_at=None if withdraw else isoformat(at + timedelta(days=max_age_days)),
            ip_prefix=rng.choice(NETWORKS),
            agent=agent,
        )

    for offset in range(days):
        day = first + timedelta(days=offset)
        made: list[Record] = []
        base = visitors if day.weekday() < 5 else visitors * 2 // 3
        for _ in range(max(0, int(rng.gauss(base, base * 0.15)))):
            at = _moment(rng, day)
            if at > now:
                continue
            lang = "fr" if rng.random() < 0.62 else "en"
            gpc = rng.random() < 0.07
            roll = rng.random()
            surface = "banner" if roll < 0.88 else "preferences" if roll < 0.97 else "placeholder"
            consent_id = str(_uuid(rng))
            made.append(record(consent_id, at, _choice(rng, policy, surface, lang, gpc)))
            later = at + timedelta(days=rng.uniform(0.01, 10))
            if later <= now and rng.random() < 0.06:  # a change of mind, same id
                change = _choice(rng, policy, "preferences", lang, gpc)
                heapq.heappush(
                    pending, (isoformat(later), next(order), record(consent_id, later, change))
                )
            elif later <= now and rng.random() < 0.015:  # a full withdrawal
                gone = Choice("withdraw", frozenset(), "preferences", "/", lang, gpc)
                heapq.heappush(
                    pending, (isoformat(later), next(order), record(consent_id, later, gone))
                )
        for _ in range(3):  # the cookie scanner's nightly visits
            at = datetime(day.year, day.month, day.day, 2, tzinfo=UTC) + timedelta(
                minutes=rng.randrange(30)
            )
            if at <= now:
                action = rng.choice(("accept_all", "reject_all"))
                visit = Choice(action, frozenset(), "banner", "/", "en", False)
                made.append(record(str(_uuid(rng)), at, visit, SCANNER))
        end = (day + timedelta(days=1)).isoformat()
        while pending and pending[0][0] < end:
            made.append(heapq.heappop(pending)[2])
        made.sort(key=lambda r: r.created_at)
        yield from made


def _uuid(rng: random.Random) -> uuid.UUID:
    """A random consent id from the seeded generator (the same seed, the same log)."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30, help="days of records, to today")
    parser.add_argument("--visitors", type=int, default=50, help="first visits a weekday")
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same log)")
    parser.add_argument("--force", action="store_true", help="even into a log that is not small")
    args = parser.parse_args(argv)

    from consent_ui import create_app
    from consent_ui.extension import ConsentUI

    app = create_app()
    state = ConsentUI.state(app)
    store = state.store
    if store.count() > DEMO_LOG_LIMIT and not args.force:
        print(
            f"demo_log: {state.settings.database} already holds {store.count()} records; "
            "demo records go into demo logs only (use --force to add them anyway)",
            file=sys.stderr,
        )
        return 2
    texts = shown_texts(app)
    made = list(
        records(
            state.policy,
            texts,
            days=args.days,
            visitors=args.visitors,
            seed=args.seed,
            max_age_days=state.settings.max_age_days,
        )
    )  # a month is a few thousand records
    shown = {h: t for h, t in texts.shown.values()}
    written = store.append_many(made, shown)
    ids: dict[str, int] = {}
    for r in made:
        if r.agent is None:
            ids[r.consent_id] = ids.get(r.consent_id, 0) + 1
    example = next((i for i, n in ids.items() if n > 1), next(iter(ids), None))
    print(f"demo_log: {written} records over {args.days} days in {state.settings.database}")
    if example:
        print(f"demo_log: a visitor who changed their mind: {example}")
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
