"""The signed consent token: readable without the key, refused when tampered, signed
with an unknown key, expired, from another revision or of the wrong shape."""

from __future__ import annotations

import base64
import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from consent_ui.policy import Policy, load_policy
from consent_ui.token import SALT, ConsentSigner, _UncompressedSerializer

KEY = "current-key"
OLD_KEY = "retired-key"
CONSENT_ID = "0b6f2a0e-3c1e-4d55-9a4f-2f1f7d1c2b3a"
MAX_AGE = timedelta(days=182)
START = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


def signer(key: str = KEY, fallbacks: tuple[str, ...] = ()) -> ConsentSigner:
    return ConsentSigner(key, fallbacks, max_age=MAX_AGE)


def payload_of(token: str) -> Any:
    """What the snippet does: decode the first part, no key needed."""
    part = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_round_trip(policy: Policy) -> None:
    with time_machine.travel(START, tick=False):
        token, consent = signer().sign(CONSENT_ID, ["marketing", "statistics", "essential"], policy)
        again = signer().verify(token, policy)
    assert again == consent
    assert consent.id == CONSENT_ID
    assert consent.granted == ("essential", "statistics", "marketing")
    assert consent.revision == 1
    assert consent.issued_at == START
    assert consent.expires_at == START + MAX_AGE


def test_every_category_not_granted_is_denied(policy: Policy) -> None:
    token, consent = signer().sign(CONSENT_ID, ["essential"], policy)
    assert consent.granted == ("essential",)
    assert payload_of(token)["denied"] == ["statistics", "personalization", "marketing"]


def test_payload_is_readable_without_the_key(policy: Policy) -> None:
    token, _ = signer().sign(CONSENT_ID, ["essential", "statistics"], policy)
    assert not token.startswith("."), "a leading '.' means a compressed payload"
    assert token.count(".") == 2
    assert payload_of(token) == {
        "id": CONSENT_ID,
        "rev": 1,
        "granted": ["essential", "statistics"],
        "denied": ["personalization", "marketing"],
    }


def _tamper(token: str, part: int) -> str:
    parts = token.split(".")
    text = parts[part]
    parts[part] = text[:-2] + ("A" if text[-2] != "A" else "B") + text[-1]
    return ".".join(parts)


def test_tampered_payload_is_refused(policy: Policy) -> None:
    token, _ = signer().sign(CONSENT_ID, ["essential"], policy)
    granted_all = dict(payload_of(token), granted=list(policy.keys), denied=[])
    forged_part = base64.urlsafe_b64encode(json.dumps(granted_all).encode()).rstrip(b"=").decode()
    forged = ".".join([forged_part, *token.split(".")[1:]])
    assert signer().verify(forged, policy) is None
    assert signer().verify(_tamper(token, 0), policy) is None


@pytest.mark.parametrize("part", [1, 2], ids=["timestamp", "signature"])
def test_tampered_timestamp_or_signature_is_refused(policy: Policy, part: int) -> None:
    token, _ = signer().sign(CONSENT_ID, ["essential"], policy)
    assert signer().verify(_tamper(token, part), policy) is None


def test_token_signed_with_another_key_is_refused(policy: Policy) -> None:
    token, _ = signer("someone-else").sign(CONSENT_ID, ["essential"], policy)
    assert signer().verify(token, policy) is None


def test_rotation_accepts_old_tokens_and_signs_with_the_new_key(policy: Policy) -> None:
    old_token, _ = signer(OLD_KEY).sign(CONSENT_ID, ["essential", "statistics"], policy)
    rotated = signer(KEY, (OLD_KEY,))
    consent = rotated.verify(old_token, policy)
    assert consent is not None
    assert consent.granted == ("essential", "statistics")

    new_token, _ = rotated.sign(CONSENT_ID, ["essential"], policy)
    assert signer(KEY).verify(new_token, policy) is not None, "signed with the new key"
    assert signer(OLD_KEY).verify(new_token, policy) is None, "not with the old one"


def test_without_the_fallback_the_old_token_is_refused(policy: Policy) -> None:
    old_token, _ = signer(OLD_KEY).sign(CONSENT_ID, ["essential"], policy)
    assert signer(KEY).verify(old_token, policy) is None


def test_expiry(policy: Policy) -> None:
    with time_machine.travel(START, tick=False):
        token, _ = signer().sign(CONSENT_ID, ["essential"], policy)
    with time_machine.travel(START + MAX_AGE - timedelta(seconds=1), tick=False):
        assert signer().verify(token, policy) is not None
    with time_machine.travel(START + MAX_AGE, tick=False):
        assert signer().verify(token, policy) is not None
    with time_machine.travel(START + MAX_AGE + timedelta(seconds=1), tick=False):
        assert signer().verify(token, policy) is None


def test_token_from_the_future_is_refused(policy: Policy) -> None:
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        token, _ = signer().sign(CONSENT_ID, ["essential"], policy)
    with time_machine.travel(START, tick=False):
        assert signer().verify(token, policy) is None


def test_token_of_another_revision_is_refused(policy: Policy) -> None:
    token, _ = signer().sign(CONSENT_ID, ["essential"], policy)
    assert signer().verify(token, dataclasses.replace(policy, revision=2)) is None


def test_token_that_did_not_decide_an_added_category_is_refused(policy: Policy) -> None:
    token, _ = signer().sign(CONSENT_ID, ["essential"], policy)
    extra = dataclasses.replace(policy.category("marketing"), key="video")
    grown = dataclasses.replace(policy, categories=(*policy.categories, extra))
    assert signer().verify(token, grown) is None


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "garbage",
        "a.b.c",
        "...",
        "e30.AAAAAA.AAAA",
        "é.ü.ß",
        "x" * 2049,
        "e30." + "A" * 3000,
    ],
    ids=["none", "empty", "word", "dots", "only-dots", "b64", "non-ascii", "long", "longer"],
)
def test_garbage_is_no_consent(policy: Policy, token: str | None) -> None:
    assert signer().verify(token, policy) is None


def test_a_valid_but_overlong_token_is_refused(policy: Policy) -> None:
    payload = {"id": CONSENT_ID, "rev": 1, "granted": ["essential"], "denied": []}
    payload["padding"] = "x" * 2100
    token = _UncompressedSerializer([KEY], salt=SALT).dumps(payload)
    assert len(token) > 2048
    assert signer().verify(token, policy) is None


GOOD = {
    "id": CONSENT_ID,
    "rev": 1,
    "granted": ["essential", "statistics"],
    "denied": ["personalization", "marketing"],
}


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(["not", "a", "dict"], id="list"),
        pytest.param("string", id="string"),
        pytest.param({**GOOD, "id": "not-a-uuid"}, id="id-not-uuid"),
        pytest.param({**GOOD, "id": CONSENT_ID.upper()}, id="id-not-canonical"),
        pytest.param({**GOOD, "id": 12}, id="id-number"),
        pytest.param({k: v for k, v in GOOD.items() if k != "id"}, id="no-id"),
        pytest.param({**GOOD, "rev": 2}, id="rev-other"),
        pytest.param({**GOOD, "rev": True}, id="rev-bool"),
        pytest.param({**GOOD, "rev": "1"}, id="rev-string"),
        pytest.param({**GOOD, "granted": "essential"}, id="granted-string"),
        pytest.param({k: v for k, v in GOOD.items() if k != "denied"}, id="no-denied"),
        pytest.param({**GOOD, "granted": ["essential", 1]}, id="granted-non-string"),
        pytest.param(
            {**GOOD, "denied": ["statistics", "personalization", "marketing"]}, id="overlap"
        ),
        pytest.param({**GOOD, "denied": ["personalization"]}, id="category-missing"),
        pytest.param({**GOOD, "denied": ["personalization", "marketing", "video"]}, id="unknown"),
        pytest.param(
            {**GOOD, "granted": ["statistics"], "denied": ["essential", "personalization", "x"]},
            id="essential-denied",
        ),
        pytest.param(
            {**GOOD, "granted": ["essential", "essential"], "denied": ["statistics", "marketing"]},
            id="duplicates",
        ),
    ],
)
def test_payload_of_the_wrong_shape_is_refused(policy: Policy, payload: Any) -> None:
    token = _UncompressedSerializer([KEY], salt=SALT).dumps(payload)
    assert signer().verify(token, policy) is None


def test_the_good_payload_signed_the_same_way_is_accepted(policy: Policy) -> None:
    """The shape cases above fail for their shape alone, not for how they were signed."""
    token = _UncompressedSerializer([KEY], salt=SALT).dumps(GOOD)
    consent = signer().verify(token, policy)
    assert consent is not None
    assert consent.granted == ("essential", "statistics")


def test_token_of_another_salt_is_refused(policy: Policy) -> None:
    token = _UncompressedSerializer([KEY], salt="another-use").dumps(GOOD)
    assert signer().verify(token, policy) is None
