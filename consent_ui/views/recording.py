"""Turning a parsed choice into a log record, a signed token and a cookie.

Shared by the JSON API and the plain HTML form, so both log exactly the same way.
"""

from __future__ import annotations

from flask import Response, request

from ..agents import agent_of
from ..consent import Choice, Consent, decide, isoformat, new_consent_id
from ..extension import ConsentUI, consent_ui
from ..network import ip_prefix
from ..store import Record
from . import banner


def gpc_signal() -> bool:
    """The Global Privacy Control header, exactly ``Sec-GPC: 1``."""
    return request.headers.get("Sec-GPC") == "1"


def record(choice: Choice) -> tuple[Consent, str]:
    """Log a choice and sign the consent that results; the consent id is kept across
    choices while the visitor's token is valid."""
    state = ConsentUI.state()
    current = consent_ui.current()
    consent_id = current.id if current else new_consent_id()
    token, consent = state.signer.sign(consent_id, decide(choice, state.policy), state.policy)
    text_hash, text = banner.shown_text(choice.surface, choice.lang, gpc=choice.gpc) or (None, None)
    state.store.append(
        Record(
            consent_id=consent.id,
            created_at=isoformat(consent.issued_at),
            action=choice.action,
            categories=consent.granted,
            revision=consent.revision,
            text_hash=text_hash,
            lang=choice.lang,
            surface=choice.surface,
            page=choice.page,
            gpc=choice.gpc,
            expires_at=isoformat(consent.expires_at),
            ip_prefix=ip_prefix(request.remote_addr),
            agent=agent_of(request.user_agent.string),
        ),
        text,
    )
    consent_ui.remember(consent)
    return consent, token


def withdraw(consent: Consent, withdrawal: Choice, now: str) -> None:
    """Log a full withdrawal under the consent's id; the id ends with it."""
    state = ConsentUI.state()
    state.store.append(
        Record(
            consent_id=consent.id,
            created_at=now,
            action="withdraw",
            categories=state.policy.required_keys,
            revision=state.policy.revision,
            text_hash=None,
            lang=withdrawal.lang,
            surface=withdrawal.surface,
            page=withdrawal.page,
            gpc=withdrawal.gpc,
            expires_at=None,
            ip_prefix=ip_prefix(request.remote_addr),
            agent=agent_of(request.user_agent.string),
        )
    )
    state.withdrawals.note(consent.id, now)
    consent_ui.remember(None)


def set_cookie(response: Response, token: str) -> None:
    settings = ConsentUI.state().settings
    response.set_cookie(
        settings.cookie_name,
        token,
        max_age=settings.max_age_days * 24 * 3600,
        path="/",
        domain=settings.cookie_domain,
        secure=request.is_secure,
        httponly=False,  # the snippet reads the payload; it holds no secret
        samesite="Lax",
    )


def clear_cookie(response: Response) -> None:
    settings = ConsentUI.state().settings
    response.delete_cookie(
        settings.cookie_name,
        path="/",
        domain=settings.cookie_domain,
        secure=request.is_secure,
        httponly=False,
        samesite="Lax",
    )
