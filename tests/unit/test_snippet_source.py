"""consent.js stays within what current Chromium, Firefox and Safari run: nothing newer
than ES2020, neither syntax nor the newer built-ins Safari lacked longest."""

from __future__ import annotations

import re

import esprima
import pytest

from consent_ui.resources import STATIC

SOURCE = (STATIC / "js" / "consent.js").read_text()
CODE = re.sub(r"/\*.*?\*/|//[^\n]*", "", SOURCE, flags=re.S)  # comments may say anything


def test_it_parses_as_a_classic_script() -> None:
    esprima.parseScript(SOURCE)


@pytest.mark.parametrize(
    ("feature", "pattern"),
    [
        ("logical assignment (ES2021)", r"\?\?=|\|\|=|&&="),
        ("numeric separators (ES2021)", r"\b\d+_\d"),
        ("String.prototype.replaceAll (ES2021)", r"\.replaceAll\("),
        ("Promise.any (ES2021)", r"Promise\.any\("),
        ("WeakRef (ES2021)", r"\bWeakRef\b"),
        ("Array.prototype.at (ES2022)", r"\.at\("),
        ("Object.hasOwn (ES2022)", r"Object\.hasOwn\("),
        (
            "classes, where fields and private names (ES2022) creep in",
            r"\bclass\s+\w+\s*(extends\b|\{)",
        ),
        ("top-level await (ES2022)", r"\bawait\b"),
        ("structuredClone", r"\bstructuredClone\("),
        ("findLast (ES2023)", r"\.findLast(Index)?\("),
        ("array copies (ES2023)", r"\.(toSorted|toReversed|toSpliced|with)\("),
    ],
)
def test_nothing_newer_than_es2020(feature: str, pattern: str) -> None:
    found = re.findall(pattern, CODE)
    assert not found, f"consent.js uses {feature}: {found}"
