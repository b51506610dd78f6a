"""The one error hierarchy of consent-ui.

Every error carries a stable ``code`` and an HTTP ``status``; its text is built by
``message(_)`` with whatever gettext the caller passes, so the domain stays free of
Flask while every message is still extracted and translated in one place.
"""

from __future__ import annotations

from collections.abc import Callable

Gettext = Callable[[str], str]


class ConsentUIError(Exception):
    code = "error"
    status = 400

    def message(self, _: Gettext) -> str:
        return _("The request could not be processed.")

    def __str__(self) -> str:
        return self.message(lambda s: s)


class ConfigError(ConsentUIError):
    """A configuration value that stops start-up."""

    code = "bad_config"
    status = 500

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(key, problem)
        self.key = key
        self.problem = problem

    def message(self, _: Gettext) -> str:
        return f"{self.key}: {self.problem}"


class PolicyError(ConfigError):
    """A mistake in the policy file, naming the file, the key and the problem."""

    code = "bad_policy"

    def __init__(self, source: str, key: str, problem: str) -> None:
        super().__init__(key, problem)
        self.source = source

    def message(self, _: Gettext) -> str:
        where = f"{self.source}: {self.key}" if self.key else self.source
        return f"{where}: {self.problem}"


class InvalidRequest(ConsentUIError):
    """Input that cannot become a consent choice; nothing is written."""

    code = "invalid_request"


class InvalidJSON(InvalidRequest):
    code = "invalid_json"

    def message(self, _: Gettext) -> str:
        return _("The request body is not a valid JSON object.")


class InvalidField(InvalidRequest):
    """A field with a value outside ``allowed``, or not of its ``kind``: "keys" (a list
    of category keys) or "path" (at most ``limit`` characters)."""

    code = "invalid_field"

    def __init__(
        self, field: str, allowed: tuple[str, ...] = (), kind: str = "", limit: int = 0
    ) -> None:
        super().__init__(field, allowed, kind, limit)
        self.field = field
        self.allowed = allowed
        self.kind = kind
        self.limit = limit

    def message(self, _: Gettext) -> str:
        if self.allowed:
            return _("The field “%(field)s” must be one of: %(allowed)s.") % {
                "field": self.field,
                "allowed": ", ".join(self.allowed),
            }
        if self.kind == "keys":
            return _("The field “%(field)s” must be a list of category keys.") % {
                "field": self.field
            }
        return _(
            "The field “%(field)s” must be a path starting with /, of at most %(limit)d characters."
        ) % {"field": self.field, "limit": self.limit}


class MissingField(InvalidRequest):
    code = "missing_field"

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field

    def message(self, _: Gettext) -> str:
        return _("The field “%(field)s” is required.") % {"field": self.field}


class UnknownCategory(InvalidRequest):
    code = "unknown_category"

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def message(self, _: Gettext) -> str:
        return _("There is no cookie category “%(key)s”.") % {"key": self.key}


class InvalidForm(InvalidRequest):
    """A plain HTML form that failed validation (usually an expired CSRF token)."""

    code = "invalid_form"

    def message(self, _: Gettext) -> str:
        return _(
            "Your choice could not be saved because the form had expired. "
            "Please make your choice again."
        )


class BadHeader(InvalidRequest):
    """A header that says where the request was sent (``Host``, ``X-Forwarded-*``) and
    that no URL can be built from."""

    code = "bad_header"

    def __init__(self, header: str) -> None:
        super().__init__(header)
        self.header = header

    def message(self, _: Gettext) -> str:
        return _("The “%(header)s” header of this request is not valid.") % {"header": self.header}


class OriginNotAllowed(ConsentUIError):
    code = "origin_not_allowed"
    status = 403

    def __init__(self, origin: str) -> None:
        super().__init__(origin)
        self.origin = origin

    def message(self, _: Gettext) -> str:
        return _("Requests from %(origin)s are not allowed.") % {"origin": self.origin}


class NoConsent(ConsentUIError):
    """The caller has no valid consent (none, tampered, expired or outdated)."""

    code = "no_consent"
    status = 404

    def message(self, _: Gettext) -> str:
        return _("There is no valid consent for this browser.")


class ConsentRequired(ConsentUIError):
    """A view needs a category the visitor has not granted."""

    code = "consent_required"
    status = 403

    def __init__(self, category: str, label: str) -> None:
        super().__init__(category, label)
        self.category = category
        self.label = label

    def message(self, _: Gettext) -> str:
        return _(
            "This feature needs your consent to “%(label)s” cookies. "
            "You can give it in Cookie management."
        ) % {"label": self.label}


class StoreUnavailable(ConsentUIError):
    """The consent log could not take the record in time; nothing was acknowledged."""

    code = "store_unavailable"
    status = 503

    def message(self, _: Gettext) -> str:
        return _("Your choice could not be saved right now. Please try again in a moment.")


class InvalidPeriod(InvalidRequest):
    """A period of figures or records that cannot be read: a ``field`` ("from" or "to")
    that is not a UTC day, ``from`` after ``to`` ("order"), or longer than ``limit`` days
    ("length")."""

    code = "invalid_period"

    def __init__(self, problem: str, field: str = "", value: str = "", limit: int = 0) -> None:
        super().__init__(problem, field, value, limit)
        self.problem = problem
        self.field = field
        self.value = value[:40]
        self.limit = limit

    def message(self, _: Gettext) -> str:
        if self.problem == "order":
            return _("The period must not start after it ends (“from” after “to”).")
        if self.problem == "length":
            return _("The period must be at most %(limit)d days long.") % {"limit": self.limit}
        return _("“%(field)s” must be a UTC day written YYYY-MM-DD, not “%(value)s”.") % {
            "field": self.field,
            "value": self.value,
        }


class InvalidConsentId(InvalidRequest):
    """Something that cannot be a consent id (they are random UUIDs)."""

    code = "invalid_consent_id"

    def __init__(self, value: str) -> None:
        super().__init__(value)
        self.value = value[:40]

    def message(self, _: Gettext) -> str:
        return _(
            "“%(value)s” is not a consent ID: it looks like 3f6c2a1e-8b0d-4c5e-9f7a-1b2c3d4e5f60."
        ) % {"value": self.value}


class UnknownConsentId(ConsentUIError):
    """No record of this consent id in the log (never seen, or anonymised with no trace)."""

    code = "unknown_consent_id"
    status = 404

    def __init__(self, consent_id: str) -> None:
        super().__init__(consent_id)
        self.consent_id = consent_id

    def message(self, _: Gettext) -> str:
        return _("The consent log has no record of the consent ID %(id)s.") % {
            "id": self.consent_id
        }


class LoginRequired(ConsentUIError):
    """An operator page or API asked for without a valid operator session."""

    code = "login_required"
    status = 401

    def message(self, _: Gettext) -> str:
        return _("Log in to the operator dashboard first.")


class ExpiredOperatorForm(InvalidForm):
    """An operator's form without a valid CSRF token (expired, or sent from elsewhere)."""

    def message(self, _: Gettext) -> str:
        return _("This form had expired or did not come from the dashboard. Please try again.")


class NotConfirmed(InvalidRequest):
    """An irreversible act (an erasure) posted without its confirmation."""

    code = "not_confirmed"

    def message(self, _: Gettext) -> str:
        return _("Nothing was changed: tick the box to confirm the erasure, then try again.")
