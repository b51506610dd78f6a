"""The operator's login: the password, the throttling of failed attempts, the session.

The password is checked against a werkzeug hash (``CONSENT_ADMIN_PASSWORD_HASH``).
Failed attempts are counted per address prefix in the log's database, so the limit
holds across workers and nodes: after ``FAILURE_LIMIT`` failures in ``FAILURE_WINDOW``
from one prefix, no password is even checked until the window has passed. The session
is a token signed by itsdangerous with a salt derived from the password hash, so a new
password ends every session at once; it carries nothing but its time of signing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.security import check_password_hash

from .consent import isoformat
from .store import Store

FAILURE_LIMIT = 5
FAILURE_WINDOW = timedelta(minutes=15)
SALT = "consent-ui.operator-session.v1"
#: Longer values are not worth verifying (a real token is about 40 characters).
MAX_TOKEN_LENGTH = 512


def password_matches(password_hash: str, password: str) -> bool:
    return bool(password) and check_password_hash(password_hash, password)


def locked(store: Store, ip_prefix: str, now: datetime) -> bool:
    """Whether this prefix has used up its attempts (then even the right password waits)."""
    return store.login_failures(ip_prefix, isoformat(now - FAILURE_WINDOW)) >= FAILURE_LIMIT


def note_failure(store: Store, ip_prefix: str, now: datetime) -> None:
    store.add_login_failure(ip_prefix, isoformat(now))


class OperatorSessions:
    """Issue and check operator sessions (the keys rotate like the consent token's)."""

    def __init__(
        self,
        secret_key: str,
        fallbacks: Sequence[str],
        password_hash: str,
        *,
        lifetime: timedelta,
    ) -> None:
        password = hashlib.sha256(password_hash.encode()).hexdigest()
        self._serializer = URLSafeTimedSerializer(
            [*fallbacks, secret_key], salt=f"{SALT}.{password}"
        )
        self.lifetime = lifetime

    def issue(self) -> str:
        return self._serializer.dumps("operator")

    def valid(self, token: str | None) -> bool:
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return False
        try:
            return (
                self._serializer.loads(token, max_age=int(self.lifetime.total_seconds()))
                == "operator"
            )
        except BadData:
            return False
