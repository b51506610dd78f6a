"""The signed consent token carried by the consent cookie.

itsdangerous signs it (its own salt, a key list for rotation, a timestamp for expiry).
The payload is not compressed, so the snippet can read it synchronously; it holds no
secret. A token that is tampered, signed with an unknown key, expired, or that decided
other categories than the current policy's revision is no consent: ``verify`` returns
None and never raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadData, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode, bytes_to_int

from .consent import Consent, is_consent_id
from .policy import Policy

SALT = "consent-ui.consent-token.v1"
#: Longer values are not worth verifying (a real token is about 200 characters).
MAX_TOKEN_LENGTH = 2048


class _UncompressedSerializer(URLSafeTimedSerializer):
    """URL-safe like its parent, but never zlib-compressed, so JavaScript can read it."""

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(self.serializer.dumps(obj, **self.serializer_kwargs).encode())


class ConsentSigner:
    def __init__(
        self, secret_key: str, fallbacks: Sequence[str] = (), *, max_age: timedelta
    ) -> None:
        # itsdangerous signs with the last key and accepts every key of the list.
        self._serializer = _UncompressedSerializer([*fallbacks, secret_key], salt=SALT)
        self.max_age = max_age

    def sign(self, consent_id: str, granted: Sequence[str], policy: Policy) -> tuple[str, Consent]:
        payload = {
            "id": consent_id,
            "rev": policy.revision,
            "granted": list(policy.ordered(granted)),
            "denied": [k for k in policy.keys if k not in granted],
        }
        token = self._serializer.dumps(payload)
        # The moment itsdangerous signed, read back from the token (no second HMAC: a
        # consent write is on the hot path).
        signed_at = bytes_to_int(base64_decode(token.rsplit(".", 2)[1]))
        issued_at = datetime.fromtimestamp(signed_at, UTC)
        consent = Consent(
            id=consent_id,
            granted=tuple(payload["granted"]),
            revision=policy.revision,
            issued_at=issued_at,
            expires_at=issued_at + self.max_age,
        )
        return token, consent

    def verify(self, token: str | None, policy: Policy) -> Consent | None:
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        try:
            payload, signed_at = self._serializer.loads(
                token, max_age=int(self.max_age.total_seconds()), return_timestamp=True
            )
        except BadData:
            return None
        if not _decides_policy(payload, policy):
            return None
        issued_at = signed_at.astimezone(UTC)
        return Consent(
            id=payload["id"],
            granted=tuple(payload["granted"]),
            revision=payload["rev"],
            issued_at=issued_at,
            expires_at=issued_at + self.max_age,
        )


def _decides_policy(payload: Any, policy: Policy) -> bool:
    """True when the payload is well formed and decided exactly this policy's categories."""
    if not isinstance(payload, dict) or not is_consent_id(payload.get("id")):
        return False
    if payload.get("rev") != policy.revision or isinstance(payload.get("rev"), bool):
        return False
    granted, denied = payload.get("granted"), payload.get("denied")
    if not isinstance(granted, list) or not isinstance(denied, list):
        return False
    if not all(isinstance(k, str) for k in (*granted, *denied)):
        return False
    if set(granted) & set(denied) or len(granted) + len(denied) != len(policy.keys):
        return False
    return set(granted) | set(denied) == set(policy.keys) and set(policy.required_keys) <= set(
        granted
    )
