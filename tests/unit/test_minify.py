"""The snippet's minifier: shorter local names, property names and globals untouched."""

from __future__ import annotations

import re

import esprima
import pytest

from consent_ui.minify import minify
from consent_ui.resources import STATIC
from consent_ui.views.embed import CONFIG_MARKER


def test_locals_get_short_names_and_globals_keep_theirs() -> None:
    out = minify("((w) => { const longName = fetch(location.href); w.x = longName; })(window);")
    assert "longName" not in out
    assert "fetch(location.href)" in out
    assert ".x=" in out


def test_property_names_stay() -> None:
    out = minify(
        "(() => { const name = 1; const o = { name: 2, other: name }; return o.name; })();"
    )
    assert "name:2" in out
    assert ".name" in out
    assert "other:" in out


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("(() => { const token = 1; return { token }; })();", "{token:"),
        ("(() => { const { token } = { token: 1 }; return token; })();", "{token:"),
        ("(() => { const { token = 2 } = {}; return token; })();", "{token:"),
    ],
)
def test_shorthand_properties_are_spelled_out(source: str, expected: str) -> None:
    assert expected in minify(source)


def test_a_local_that_is_also_used_as_a_global_is_refused() -> None:
    source = "(() => { const status = 1; return status; })(); status;"
    with pytest.raises(ValueError, match="'status' is both a local and a global name"):
        minify(source)


def test_labels_are_refused() -> None:
    with pytest.raises(ValueError, match="LabeledStatement"):
        minify("(() => { outer: for (const a of []) { break outer; } })();")


def test_short_names_avoid_the_globals_in_use() -> None:
    # `a` is a global here, so no local may be renamed to `a`.
    out = minify("(() => { const first = 1; const second = a + first; return second; })();")
    assert "const a=" not in out


def test_the_snippet_minifies_to_valid_javascript_deterministically() -> None:
    source = (STATIC / "js" / "consent.js").read_text().replace(CONFIG_MARKER, "{}")
    once = minify(source)
    assert once == minify(source)
    esprima.parseScript(once)
    assert len(once) < len(source) * 0.6


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # One plain parameter: no parentheses. Others keep theirs.
        ("f((a) => a);", "f(a=>a);"),
        ("f((a, b) => a);", "f((a,b)=>a);"),
        ("f((a = 1) => a);", "f((a=1)=>a);"),
        ("f(({ a }) => a);", "f(({a})=>a);"),
        ("f(async (a) => a);", "f(async(a)=>a);"),
        # Trailing commas go; a hole's comma stays.
        ("f({ a: 1, }, [1, 2, ], g(1, ));", "f({a:1},[1,2],g(1));"),
        ("f([1, , ]);", "f([1,,]);"),
        # A semicolon before a closing brace goes, unless it is an empty statement.
        ("w(function () { h(); });", "w(function(){h()});"),
        ("w(function () { if (x) ; });", "w(function(){if(x);});"),
        # Spaces inside a template's ${…} go; its text stays as written.
        ("f(`a ${x ? ' y ' : ''} b`);", "f(`a ${x?' y ':''} b`);"),
    ],
)
def test_punctuation_the_grammar_does_without(source: str, expected: str) -> None:
    assert minify(source) == expected


def test_declarations_of_one_kind_in_a_row_share_their_keyword() -> None:
    out = minify("w(() => { const a = 1;\n// why\nconst b = a; let c; let d = 2; const e = c; });")
    assert re.fullmatch(r"w\(\(\)=>\{const \w=1,\w=\w;let \w,\w=2;const \w=\w\}\);", out), out
