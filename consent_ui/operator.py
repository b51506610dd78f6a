"""The operator's login: the password, the throttling of failed attempts, the session.

The password is checked against a werkzeug hash (``CONSENT_ADMIN_PASSWORD_HASH``).
Failed attempts are counted per address prefix in the log's database, so the limit
holds across workers and nodes: after ``FAILURE_LIMIT`` failures in ``FAILURE_WINDOW``
from one prefix, no password is even checked until the window has passed. The session
is a token signed by itsdangerous with a salt derived from the password hash, so a new
password ends every session at once; it carries a random session id and its time of
signing. Logging in and out are audit rows (``admin_audit``) of that id, and a session
whose id was logged out is no session, on every worker and node: a copy of the cookie
kept from before the logout opens nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.security import check_password_hash

from .consent import isoformat
from .store import AuditEntry, Store

FAILURE_LIMIT = 5
FAILURE_WINDOW = timedelta(minutes=15)
SALT = "consent-ui.operator-session.v2"
#: The audit actions of a session's start and end; their target is the session id.
LOGIN, LOGOUT = "login", "logout"
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

    def issue(self) -> tuple[str, str]:
        """A new session: its token (the cookie) and its id."""
        session_id = secrets.token_urlsafe(16)
        return self._serializer.dumps({"sid": session_id}), session_id

    def session_id(self, token: str | None) -> str | None:
        """The id of a session token that is genuine and not expired, else None."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        try:
            payload = self._serializer.loads(token, max_age=int(self.lifetime.total_seconds()))
        except BadData:
            return None
        session_id = payload.get("sid") if isinstance(payload, dict) else None
        return session_id if isinstance(session_id, str) and session_id else None


def log_in(store: Store, sessions: OperatorSessions, ip_prefix: str, now: datetime) -> str:
    """Open a session (audited); its token."""
    token, session_id = sessions.issue()
    store.audit(AuditEntry(isoformat(now), LOGIN, session_id, ip_prefix))
    return token


def signed_in(store: Store, sessions: OperatorSessions, token: str | None) -> bool:
    session_id = sessions.session_id(token)
    if session_id is None:
        return False
    return all(row["action"] != LOGOUT for row in store.audit_trail(session_id))


def log_out(
    store: Store, sessions: OperatorSessions, token: str | None, ip_prefix: str, now: datetime
) -> None:
    """End the session of ``token`` for good (audited), if it is one."""
    session_id = sessions.session_id(token)
    if session_id is not None:
        store.audit(AuditEntry(isoformat(now), LOGOUT, session_id, ip_prefix))
