"""``consent-ui scan``'s options, refused before any browser starts."""

from __future__ import annotations

from click.testing import CliRunner

from consent_ui.cli import consent


def test_a_language_without_catalogue_is_a_usage_error() -> None:
    result = CliRunner().invoke(
        consent, ["scan", "https://shop.test/", "--lang", "de"], prog_name="consent-ui"
    )

    assert result.exit_code == 2
    assert "Invalid value for '--lang': 'de' is not one of 'en', 'fr'." in result.stderr
