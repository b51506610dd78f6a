"""The minified code behaves exactly like the source: the same program, run in the
browser before and after, gives the same answer."""

from __future__ import annotations

from playwright.sync_api import Page

from consent_ui.minify import minify

PROGRAM = r"""
((w, d) => {
  const results = [];
  const counter = (start = 10) => { let count = start; return () => ++count; };
  const next = counter();
  next(); results.push(next());
  // Shadowing: the inner `value` must stay apart from the outer one.
  const value = 'outer';
  const shadow = (value) => [value, (() => { const value = 'inner'; return value; })()];
  results.push(shadow('param'), value);
  // Destructuring with defaults and rest, shorthand properties both ways.
  const { first, second = 'default', ...rest } = { first: 1, third: 3, fourth: 4 };
  const [head, , third = 'x', ...tail] = [1, 2, undefined, 4, 5];
  results.push({ first, second, rest, head, third, tail });
  // Optional chaining, template literals, spread, arguments, catch parameters.
  const maybe = null;
  results.push(maybe?.deep?.name ?? 'none', `${first}-${second}`, [...'ab']);
  results.push(Math.max(...[1, 3, 2]));
  function args() { return arguments.length; }
  results.push(args(1, 2, 3));
  try { JSON.parse('{'); } catch (error) { results.push(error instanceof SyntaxError); }
  for (const item of [1, 2]) results.push(item * 2);
  // Object keys are not variables.
  const key = 'k';
  results.push({ key: 1, [key]: 2 }, { value }.value);
  w.__answer = JSON.stringify(results);
})(window, document);
"""


def run(page: Page, code: str) -> str:
    page.goto("about:blank")
    page.add_script_tag(content=code)
    return page.evaluate("window.__answer")


def test_minified_code_gives_the_same_answer(page: Page) -> None:
    expected = run(page, PROGRAM)
    assert expected.startswith("[12,")
    minified = minify(PROGRAM)
    assert "shadow" not in minified
    assert run(page, minified) == expected
