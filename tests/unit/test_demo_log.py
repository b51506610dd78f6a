"""The demo's month of records: oldest first, the same for the same seed, with the
changes of mind, withdrawals and scanner visits the dashboard is there to show."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from consent_ui.policy import load_policy
from examples.demo_log import Texts, records

POLICY = load_policy()
NOW = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
TEXTS = Texts({("banner", "fr", False): ("h" * 64, "Le texte de la bannière")})


def make(**options) -> list:
    return list(records(POLICY, TEXTS, now=NOW, **options))


def test_records_are_oldest_first_and_never_in_the_future() -> None:
    made = make(days=30, visitors=200)
    times = [r.created_at for r in made]
    assert times == sorted(times)
    assert times[0] >= "2026-11-01"
    assert times[-1] <= "2026-11-30T18:00:00Z"


def test_the_same_seed_gives_the_same_log() -> None:
    assert make(days=5, visitors=50, seed=3) == make(days=5, visitors=50, seed=3)
    assert make(days=5, visitors=50, seed=3) != make(days=5, visitors=50, seed=4)


def test_a_month_has_what_the_dashboard_shows() -> None:
    made = make(days=30, visitors=200)
    actions = Counter(r.action for r in made if r.agent is None)
    assert set(actions) == {"accept_all", "reject_all", "custom", "withdraw"}
    per_id = Counter(r.consent_id for r in made if r.agent is None)
    assert any(n > 1 for n in per_id.values()), "changes of mind under the same id"
    assert sum(1 for r in made if r.agent == "scanner") == 3 * 30
    assert {r.lang for r in made} == {"en", "fr"}
    assert any(r.gpc for r in made)
    shown = [r for r in made if (r.surface, r.lang, r.gpc) == ("banner", "fr", False)]
    assert all(r.text_hash == "h" * 64 for r in shown if r.action != "withdraw")
    for r in made:
        if r.gpc and r.action == "accept_all":
            assert not set(r.categories) & POLICY.gpc_keys, "GPC honoured"
