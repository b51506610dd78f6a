"""Shrinking the snippet: shorter local names, then no comments or spaces.

consent.js is written to be read; what pages download counts toward a 5 KB budget.
A real parser (esprima) finds every name the file declares; each is renamed to a short
one, the same everywhere. A one-to-one renaming keeps every scope as it was, provided
no short name collides with a global the file uses (they are chosen to avoid them), no
declared name is also used as a global somewhere (checked, with scopes), and property
names stay put (``a.name``, ``{name: …}``); shorthand properties are spelled out
(``{name}`` → ``{name: x}``). Then what the source writes for readability and the
grammar does without goes, found from the syntax tree and the tokens, never from
the text: the parentheses around an arrow function's one parameter, trailing commas,
a semicolon right before ``}``, and the keyword of each declaration that follows one
of its kind (``const a = 1; const b = 2;`` → ``const a=1,b=2;``; gzip spends two or
three bytes on each repeat). rjsmin then strips comments and spaces.
"""

from __future__ import annotations

import itertools
import string
from collections import Counter
from collections.abc import Iterator
from typing import Any

import esprima
import rjsmin

_FUNCTIONS = ("FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression")
_UNSUPPORTED = (
    "LabeledStatement",
    "BreakStatement",
    "ContinueStatement",
    "ClassBody",
    "WithStatement",
    "ImportDeclaration",
    "ExportNamedDeclaration",
)
_RESERVED = frozenset(
    {
        "do",
        "if",
        "in",
        "for",
        "let",
        "new",
        "try",
        "var",
        "case",
        "else",
        "enum",
        "eval",
        "null",
        "this",
        "true",
        "void",
        "with",
        "await",
        "break",
        "catch",
        "class",
        "const",
        "false",
        "super",
        "throw",
        "while",
        "yield",
        "delete",
        "export",
        "import",
        "public",
        "return",
        "static",
        "switch",
        "typeof",
        "default",
        "extends",
        "finally",
        "package",
        "private",
        "continue",
        "debugger",
        "function",
        "arguments",
        "interface",
        "protected",
        "implements",
        "instanceof",
        "undefined",
        "NaN",
        "Infinity",
    }
)

Use = tuple[Any, bool]  # an Identifier node, and whether it is a shorthand property


def minify(source: str) -> str:
    tree = esprima.parseScript(source, {"range": True})
    declared = {name for node in _walk(tree) for name in _scope_names(node)}
    uses: list[Use] = []
    for ident, shorthand, scopes in _identifiers(tree, ()):
        uses.append((ident, shorthand))
        # Not declared where it is used means a global: it must not share a local's name.
        if ident.name in declared and not any(ident.name in s for s in scopes):
            raise ValueError(f"{ident.name!r} is both a local and a global name")
    counts = Counter(ident.name for ident, _ in uses)
    names = _short_names(avoid=set(counts) - declared)
    renamed = {
        name: next(names)
        for name, _ in sorted(counts.items(), key=lambda kv: -kv[1])
        if name in declared
    }
    edits = [*_needless_punctuation(source, tree)]
    for ident, shorthand in uses:
        new = renamed.get(ident.name, ident.name)
        if new != ident.name:
            start, end = ident.range
            edits.append((start, end, f"{ident.name}:{new}" if shorthand else new))
    return rjsmin.jsmin(_squeeze_templates(_apply(source, edits)))


def _apply(source: str, edits: list[tuple[int, int, str]]) -> str:
    out, end = [], len(source)
    for start, stop, text in sorted(edits, reverse=True):
        if stop > end:
            raise ValueError(f"overlapping edits at {start}")
        out += [source[stop:end], text]
        end = start
    return source[:end] + "".join(reversed(out))


def _squeeze_templates(source: str) -> str:
    """rjsmin leaves template literals as they are, spaces of their ``${…}`` included:
    each outermost expression gets the treatment on its own."""
    tree = esprima.parseScript(source, {"range": True})
    edits, inside = [], (-1, -1)
    for node in _walk(tree):
        if node.type == "TemplateLiteral" and not inside[0] <= node.range[0] < inside[1]:
            inside = node.range
            edits += [(*e.range, rjsmin.jsmin(source[slice(*e.range)])) for e in node.expressions]
    return _apply(source, edits)


def _needless_punctuation(source: str, tree: Any) -> Iterator[tuple[int, int, str]]:
    """Deletions of punctuation the grammar does not need (see the module's doc)."""
    tokens = esprima.tokenize(source, {"range": True})
    at = {t.range[0]: i for i, t in enumerate(tokens)}
    empty = {n.range[0] for n in _walk(tree) if n.type == "EmptyStatement"}
    for node in _walk(tree):
        if node.type == "ArrowFunctionExpression" and not node.isAsync and len(node.params) == 1:
            param = node.params[0]
            opening = tokens[at[node.range[0]]]
            closing = tokens[at[param.range[0]] + 1]
            if param.type == "Identifier" and opening.value == "(" and closing.value == ")":
                yield opening.range[0], opening.range[1], ""
                yield closing.range[0], closing.range[1], ""
    for node in _walk(tree):
        if node.type not in ("Program", "BlockStatement"):
            continue
        for first, then in itertools.pairwise(node.body):
            if first.type == then.type == "VariableDeclaration" and first.kind == then.kind:
                # From the end of one's last declarator to the start of the next one's
                # first: ";", spaces, comments and the keyword.
                yield first.declarations[-1].range[1], then.declarations[0].range[0], ","
    for before, token in itertools.pairwise(tokens):
        if token.type != "Punctuator" or token.value not in "})]":
            continue
        if before.value == "," and tokens[at[before.range[0]] - 1].value != ",":
            yield before.range[0], before.range[1], ""  # a trailing comma (not a hole)
        elif before.value == ";" and token.value == "}" and before.range[0] not in empty:
            yield before.range[0], before.range[1], ""


def _short_names(avoid: set[str]) -> Iterator[str]:
    first = string.ascii_letters + "_$"
    rest = first + string.digits
    for length in itertools.count(1):
        for chars in itertools.product(first, *[rest] * (length - 1)):
            name = "".join(chars)
            if name not in avoid and name not in _RESERVED:
                yield name


def _children(node: Any) -> Iterator[Any]:
    for value in vars(node).values():
        if isinstance(value, list):
            yield from (v for v in value if hasattr(v, "type"))
        elif hasattr(value, "type"):
            yield value


def _walk(node: Any) -> Iterator[Any]:
    yield node
    for child in _children(node):
        yield from _walk(child)


def _pattern_names(pattern: Any) -> Iterator[str]:
    """The names a binding pattern declares."""
    if pattern is None:
        return
    kind = pattern.type
    if kind == "Identifier":
        yield pattern.name
    elif kind == "ObjectPattern":
        for prop in pattern.properties:
            yield from _pattern_names(prop.argument if prop.type == "RestElement" else prop.value)
    elif kind == "ArrayPattern":
        for element in pattern.elements:
            yield from _pattern_names(element)
    elif kind == "AssignmentPattern":
        yield from _pattern_names(pattern.left)
    elif kind == "RestElement":
        yield from _pattern_names(pattern.argument)


def _declarations(statement: Any) -> Iterator[str]:
    if statement is not None and statement.type == "VariableDeclaration":
        for declarator in statement.declarations:
            yield from _pattern_names(declarator.id)


def _scope_names(node: Any) -> frozenset[str]:
    """The names a scope-making node declares itself (hoisting included)."""
    kind = node.type
    if kind in ("Program", "BlockStatement"):
        names = {n for statement in node.body for n in _declarations(statement)}
        names.update(s.id.name for s in node.body if s.type == "FunctionDeclaration")
        return frozenset(names)
    if kind in _FUNCTIONS:
        names = {n for param in node.params for n in _pattern_names(param)}
        if kind == "FunctionExpression" and node.id is not None:
            names.add(node.id.name)
        return frozenset(names)
    if kind == "ForStatement":
        return frozenset(_declarations(node.init))
    if kind in ("ForInStatement", "ForOfStatement"):
        return frozenset(_declarations(node.left))
    if kind == "CatchClause":
        return frozenset(_pattern_names(node.param))
    return frozenset()


def _identifiers(
    node: Any, scopes: tuple[frozenset[str], ...]
) -> Iterator[tuple[Any, bool, tuple]]:
    """Every identifier that names a variable (not a property), whether it sits in a
    shorthand property whose key must be kept, and the scopes around it."""
    kind = node.type
    if kind in _UNSUPPORTED:
        raise ValueError(f"the snippet's minifier does not handle {kind}")
    names = _scope_names(node)
    if names:
        scopes = (*scopes, names)
    if kind == "Identifier":
        yield node, False, scopes
    elif kind == "MemberExpression":
        yield from _identifiers(node.object, scopes)
        if node.computed:
            yield from _identifiers(node.property, scopes)
    elif kind == "Property" and node.shorthand:
        value = node.value
        if value.type == "AssignmentPattern":  # {name = default}
            yield value.left, True, scopes
            yield from _identifiers(value.right, scopes)
        else:
            yield value, True, scopes
    elif kind == "Property":
        if node.computed:
            yield from _identifiers(node.key, scopes)
        yield from _identifiers(node.value, scopes)
    else:
        for child in _children(node):
            yield from _identifiers(child, scopes)
