"""Withdrawn consent ids: a withdrawal ends its id on every worker and node at once, and
so does an operator's erasure (its records no longer name the id; its audit row does).

A signed token stays valid until it expires, wherever a copy of it is kept, so the
server checks the id of every verified token against the log's withdrawals. This
process keeps them in a set, refreshed by the store's feed (``Store.withdrawals``),
which costs no database round trip unless something was written; the set holds only
withdrawals younger than the tokens' lifetime, as older ones cannot match a valid token.
"""

from __future__ import annotations

import os
import threading
from datetime import timedelta

from .consent import isoformat, utcnow
from .store import Store, WithdrawalFeed

#: How often ids too old to matter are dropped from the set.
PRUNE_EVERY = timedelta(hours=1)


class Withdrawals:
    """``consent_id in withdrawals``: whether the log holds a withdrawal of that id."""

    def __init__(self, store: Store, lifetime: timedelta) -> None:
        self._store = store
        self._lifetime = lifetime
        self._lock = threading.Lock()
        self._ids: dict[str, str] = {}
        self._feed: WithdrawalFeed | None = None
        self._feed_pid = 0
        self._pruned_at = utcnow()

    def _fresh_feed(self) -> WithdrawalFeed:
        # Lazily, and again after a fork: a feed's connection and thread are its own.
        pid = os.getpid()
        if self._feed is None or self._feed_pid != pid:
            with self._lock:
                if self._feed is None or self._feed_pid != pid:
                    self._ids = {}
                    self._feed = self._store.withdrawals(self._lifetime)
                    self._feed_pid = pid
        return self._feed

    def __contains__(self, consent_id: object) -> bool:
        """Raises ``StoreUnavailable`` when the log cannot say (then nothing is granted)."""
        for withdrawn, at in self._fresh_feed().fresh():
            self._ids[withdrawn] = at
        self._prune()
        return consent_id in self._ids

    def note(self, consent_id: str, at: str) -> None:
        """A withdrawal this process just committed (known before the feed says so)."""
        self._ids[consent_id] = at

    def _prune(self) -> None:
        now = utcnow()
        if now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        oldest = isoformat(now - self._lifetime)
        for consent_id, at in list(self._ids.items()):
            if at < oldest:
                self._ids.pop(consent_id, None)

    def close(self) -> None:
        if self._feed is not None and self._feed_pid == os.getpid():
            self._feed.close()
        self._feed = None
