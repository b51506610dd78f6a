"""Parsing a visitor's choice once, at the edge, and deciding what it grants."""

from __future__ import annotations

from typing import Any

import pytest

from consent_ui.consent import Choice, decide, is_consent_id, new_consent_id
from consent_ui.errors import InvalidField, InvalidJSON, MissingField, UnknownCategory
from consent_ui.policy import Policy, load_policy


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


def parse(policy: Policy, data: Any, *, gpc_signal: bool = False, lang: str = "en") -> Choice:
    return Choice.parse(data, policy, default_lang=lambda: lang, gpc_signal=gpc_signal)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"action": "accept_all"},
            Choice("accept_all", frozenset(), "api", None, "en", False),
        ),
        (
            {"action": "reject_all", "categories": ["not", "looked", "at"]},
            Choice("reject_all", frozenset(), "api", None, "en", False),
        ),
        (
            {"action": "custom", "categories": []},
            Choice("custom", frozenset(), "api", None, "en", False),
        ),
        (
            {"action": "custom", "categories": ["statistics", "marketing", "statistics"]},
            Choice("custom", frozenset({"statistics", "marketing"}), "api", None, "en", False),
        ),
        (
            {"action": "custom", "categories": ["essential", "statistics"]},
            Choice("custom", frozenset({"statistics"}), "api", None, "en", False),
        ),
        (
            {"action": "accept_all", "surface": "banner", "lang": "fr", "gpc": True},
            Choice("accept_all", frozenset(), "banner", None, "fr", True),
        ),
        (
            {"action": "accept_all", "surface": "placeholder", "page": "/ads/12?ref=mail#top"},
            Choice("accept_all", frozenset(), "placeholder", "/ads/12", "en", False),
        ),
        (
            {"action": "accept_all", "page": "https://shop.example.org/ads?q=1"},
            Choice("accept_all", frozenset(), "api", "/ads", "en", False),
        ),
        (
            {"action": "accept_all", "page": "", "lang": "", "gpc": False},
            Choice("accept_all", frozenset(), "api", None, "en", False),
        ),
        (
            {"action": "accept_all", "page": None, "lang": None},
            Choice("accept_all", frozenset(), "api", None, "en", False),
        ),
        # Authorities a URL parser refuses (urlsplit raises): a path is kept as given.
        (
            {"action": "accept_all", "page": "//["},
            Choice("accept_all", frozenset(), "api", "//[", "en", False),
        ),
        (
            {"action": "accept_all", "page": "//[abc]/x?y"},
            Choice("accept_all", frozenset(), "api", "//[abc]/x", "en", False),
        ),
        (
            {"action": "accept_all", "page": "http://[::1/x#y"},
            Choice("accept_all", frozenset(), "api", "/x", "en", False),
        ),
        (
            {"action": "accept_all", "page": "//a\uff03b/x"},
            Choice("accept_all", frozenset(), "api", "//a\uff03b/x", "en", False),
        ),
        (
            {"action": "accept_all", "page": "HTTPS://shop.example.org:8443/ads/1"},
            Choice("accept_all", frozenset(), "api", "/ads/1", "en", False),
        ),
        (
            {"action": "reject_all", "surface": "preferences", "page": "/" + "a" * 2047},
            Choice("reject_all", frozenset(), "preferences", "/" + "a" * 2047, "en", False),
        ),
    ],
)
def test_valid_choices(policy: Policy, data: dict[str, Any], expected: Choice) -> None:
    assert parse(policy, data) == expected


def test_default_lang_applies_when_none_is_given(policy: Policy) -> None:
    assert parse(policy, {"action": "accept_all"}, lang="fr").lang == "fr"
    assert parse(policy, {"action": "accept_all", "lang": "en"}, lang="fr").lang == "en"


def test_the_request_language_is_worked_out_only_when_needed(policy: Policy) -> None:
    def unwanted() -> str:
        raise AssertionError("the body names its language")

    choice = Choice.parse({"action": "accept_all", "lang": "fr"}, policy, default_lang=unwanted)
    assert choice.lang == "fr"


def test_gpc_signal_counts_even_without_the_field(policy: Policy) -> None:
    assert parse(policy, {"action": "accept_all"}, gpc_signal=True).gpc is True
    assert parse(policy, {"action": "accept_all", "gpc": False}, gpc_signal=True).gpc is True


@pytest.mark.parametrize(
    ("data", "error", "attributes"),
    [
        pytest.param([], InvalidJSON, {}, id="list"),
        pytest.param("accept_all", InvalidJSON, {}, id="string"),
        pytest.param(None, InvalidJSON, {}, id="none"),
        pytest.param({}, MissingField, {"field": "action"}, id="missing-action"),
        pytest.param({"action": None}, MissingField, {"field": "action"}, id="null-action"),
        pytest.param({"action": "accept"}, InvalidField, {"field": "action"}, id="unknown-action"),
        pytest.param({"action": "withdraw"}, InvalidField, {"field": "action"}, id="withdraw"),
        pytest.param(
            {"action": ["accept_all"]}, InvalidField, {"field": "action"}, id="list-action"
        ),
        pytest.param({"action": "custom"}, MissingField, {"field": "categories"}, id="no-cats"),
        pytest.param(
            {"action": "custom", "categories": "statistics"},
            InvalidField,
            {"field": "categories"},
            id="categories-string",
        ),
        pytest.param(
            {"action": "custom", "categories": {"statistics": True}},
            InvalidField,
            {"field": "categories"},
            id="categories-object",
        ),
        pytest.param(
            {"action": "custom", "categories": ["statistics", 1]},
            InvalidField,
            {"field": "categories"},
            id="categories-non-string",
        ),
        pytest.param(
            {"action": "custom", "categories": [["statistics"]]},
            InvalidField,
            {"field": "categories"},
            id="categories-nested",
        ),
        pytest.param(
            {"action": "custom", "categories": ["statistics", "videos"]},
            UnknownCategory,
            {"key": "videos"},
            id="unknown-category",
        ),
        pytest.param(
            {"action": "custom", "categories": ["Statistics"]},
            UnknownCategory,
            {"key": "Statistics"},
            id="category-case",
        ),
        pytest.param(
            {"action": "accept_all", "surface": "popup"},
            InvalidField,
            {"field": "surface"},
            id="surface-unknown",
        ),
        pytest.param(
            {"action": "accept_all", "surface": None},
            InvalidField,
            {"field": "surface"},
            id="surface-null",
        ),
        pytest.param(
            {"action": "accept_all", "lang": "de"}, InvalidField, {"field": "lang"}, id="lang-de"
        ),
        pytest.param(
            {"action": "accept_all", "lang": "EN"}, InvalidField, {"field": "lang"}, id="lang-case"
        ),
        pytest.param(
            {"action": "accept_all", "lang": 1}, InvalidField, {"field": "lang"}, id="lang-number"
        ),
        pytest.param(
            {"action": "accept_all", "page": "ads/12"},
            InvalidField,
            {"field": "page"},
            id="page-relative",
        ),
        pytest.param(
            {"action": "accept_all", "page": "?q=1"},
            InvalidField,
            {"field": "page"},
            id="page-query-only",
        ),
        pytest.param(
            {"action": "accept_all", "page": "/" + "a" * 2048},
            InvalidField,
            {"field": "page"},
            id="page-too-long",
        ),
        pytest.param(
            {"action": "accept_all", "page": 12}, InvalidField, {"field": "page"}, id="page-number"
        ),
        pytest.param(
            {"action": "accept_all", "page": "ftp://shop.example.org/x"},
            InvalidField,
            {"field": "page"},
            id="page-other-scheme",
        ),
        pytest.param(
            {"action": "accept_all", "page": "https://shop.example.org"},
            InvalidField,
            {"field": "page"},
            id="page-url-without-path",
        ),
        pytest.param(
            {"action": "accept_all", "lang": 0}, InvalidField, {"field": "lang"}, id="lang-zero"
        ),
        pytest.param(
            {"action": "accept_all", "lang": False},
            InvalidField,
            {"field": "lang"},
            id="lang-false",
        ),
        pytest.param(
            {"action": "accept_all", "gpc": 1}, InvalidField, {"field": "gpc"}, id="gpc-number"
        ),
        pytest.param(
            {"action": "accept_all", "gpc": "true"},
            InvalidField,
            {"field": "gpc"},
            id="gpc-string",
        ),
        pytest.param(
            {"action": "accept_all", "gpc": None}, InvalidField, {"field": "gpc"}, id="gpc-null"
        ),
    ],
)
def test_invalid_choices(
    policy: Policy, data: Any, error: type[Exception], attributes: dict[str, str]
) -> None:
    with pytest.raises(error) as caught:
        parse(policy, data)
    assert type(caught.value) is error
    for name, value in attributes.items():
        assert getattr(caught.value, name) == value


def test_error_messages_name_the_field() -> None:
    assert str(MissingField("action")) == "The field “action” is required."
    assert str(UnknownCategory("videos")) == "There is no cookie category “videos”."
    assert (
        str(InvalidField("gpc", allowed=("true", "false")))
        == "The field “gpc” must be one of: true, false."
    )


def choice(action: str, categories: set[str] = frozenset(), *, gpc: bool = False) -> Choice:
    return Choice(action, frozenset(categories), "api", None, "en", gpc)


@pytest.mark.parametrize(
    ("made", "granted"),
    [
        (choice("accept_all"), ("essential", "statistics", "personalization", "marketing")),
        (choice("reject_all"), ("essential",)),
        (choice("custom"), ("essential",)),
        (choice("custom", {"marketing", "statistics"}), ("essential", "statistics", "marketing")),
        (choice("accept_all", gpc=True), ("essential", "statistics")),
        (choice("reject_all", gpc=True), ("essential",)),
        (
            choice("custom", {"marketing", "personalization"}, gpc=True),
            ("essential", "personalization", "marketing"),
        ),
        (choice("custom", {"statistics"}, gpc=True), ("essential", "statistics")),
    ],
    ids=[
        "accept-all",
        "reject-all",
        "custom-none",
        "custom-policy-order",
        "gpc-accept-all",
        "gpc-reject-all",
        "gpc-custom-grants",
        "gpc-custom-statistics",
    ],
)
def test_decide(policy: Policy, made: Choice, granted: tuple[str, ...]) -> None:
    assert decide(made, policy) == granted


def test_parse_then_decide_under_gpc(policy: Policy) -> None:
    accepted = parse(policy, {"action": "accept_all"}, gpc_signal=True)
    assert decide(accepted, policy) == ("essential", "statistics")
    chosen = parse(policy, {"action": "custom", "categories": ["marketing"]}, gpc_signal=True)
    assert decide(chosen, policy) == ("essential", "marketing")


def test_consent_ids() -> None:
    first, second = new_consent_id(), new_consent_id()
    assert first != second
    assert is_consent_id(first)
    assert is_consent_id(second)
    assert not is_consent_id(first.upper())
    assert not is_consent_id(first.replace("-", ""))
    assert not is_consent_id("anonymised")
    assert not is_consent_id(None)
