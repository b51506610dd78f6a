"""The operator's commands on a hand-made log: ``stats``, ``export``, ``show`` and
``anonymise``, through click's runner (as ``flask consent …``) and as the installed
``consent-ui`` script; bad input is exit 2 with one line and writes nothing."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from click.testing import Result
from flask.testing import FlaskCliRunner

from consent_ui.store import COLUMNS
from consent_ui.store.sqlite import SQLiteStore
from tests.conftest import SECRET
from tests.http.test_cli import consent_ui_script
from tests.logs import ALICE, BANNER, BOB, EXPECTED, LOG, PREFERENCES, TEXTS, fill

NOW = datetime(2026, 11, 5, 12, 0, 0, tzinfo=UTC)
PERIOD = ["--from", "2026-11-01", "--to", "2026-11-05"]
UNKNOWN = "99999999-9999-4999-8999-999999999999"


@pytest.fixture
def log(store: SQLiteStore) -> SQLiteStore:
    return fill(store)


def run(runner: FlaskCliRunner, *args: str, lang: str | None = None) -> Result:
    """``flask consent …``, in a terminal whose ``LANG`` is ``lang`` (else English)."""
    env = {"LANG": lang} if lang else None
    with time_machine.travel(NOW, tick=False):
        return runner.invoke(args=["consent", *args], env=env)


def in_period(store: SQLiteStore) -> list[dict[str, Any]]:
    return list(store.export(date(2026, 11, 1), date(2026, 11, 5)))


# ---- stats ----


def test_stats_json_is_the_dashboards_shape(runner: FlaskCliRunner, log: SQLiteStore) -> None:
    result = run(runner, "stats", *PERIOD, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == EXPECTED


def test_stats_default_to_the_last_thirty_days(runner: FlaskCliRunner, log: SQLiteStore) -> None:
    body = json.loads(run(runner, "stats", "--format", "json").output)
    assert (body["from"], body["to"], len(body["daily"])) == ("2026-10-07", "2026-11-05", 30)
    assert body["choices"] == 6, "Erin's choice of 31 October is in"
    body = json.loads(run(runner, "stats", "--to", "2026-10-31", "--format", "json").output)
    assert (body["from"], body["choices"]) == ("2026-10-02", 1)


def test_stats_csv_is_the_daily_figures(runner: FlaskCliRunner, log: SQLiteStore) -> None:
    result = run(runner, "stats", *PERIOD, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.decode().split("\r\n") == [
        "date,choices,withdrawals,accept_all,reject_all,custom,withdraw,"
        "statistics_granted,personalization_granted,marketing_granted,"
        "statistics_rate,personalization_rate,marketing_rate",
        "2026-11-01,2,0,2,0,0,0,2,1,1,1.0,0.5,0.5",
        "2026-11-02,0,0,0,0,0,0,0,0,0,0.0,0.0,0.0",
        "2026-11-03,2,0,0,1,1,0,1,0,0,0.5,0.0,0.0",
        "2026-11-04,0,1,0,0,0,1,0,0,0,0.0,0.0,0.0",
        "2026-11-05,1,0,0,0,1,0,0,0,1,0.0,0.0,1.0",
        "",
    ]


def test_stats_text_for_a_person(runner: FlaskCliRunner, log: SQLiteStore) -> None:
    result = run(runner, "stats", *PERIOD)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "Figures from 2026-11-01 to 2026-11-05 (5 days, UTC), visitors' records only"
    )
    assert lines[2:7] == [
        "choices      5",
        "visitors     4",
        "withdrawals  1",
        "actions      accept_all 2, reject_all 1, custom 2, withdraw 1",
        "",
    ]
    assert lines[7:11] == [
        "category          granted  opt-in rate",
        "statistics              3      60.00 %",
        "personalization         1      20.00 %",
        "marketing               2      40.00 %",
    ]
    assert "by language  en 3, fr 2" in lines
    assert "by GPC       0 4, 1 1" in lines
    assert lines[-5:] == [
        "2026-11-01        2            0           2           0       0           2"
        "                1          1",
        "2026-11-02        0            0           0           0       0           0"
        "                0          0",
        "2026-11-03        2            0           0           1       1           1"
        "                0          0",
        "2026-11-04        0            1           0           0       0           0"
        "                0          0",
        "2026-11-05        1            0           0           0       1           0"
        "                0          1",
    ]


BAD_PERIODS = [
    (["--from", "2026-11-31"], "“from” must be a UTC day written YYYY-MM-DD, not “2026-11-31”."),
    (["--to", "yesterday"], "“to” must be a UTC day written YYYY-MM-DD, not “yesterday”."),
    (["--from", "2026-11-05", "--to", "2026-11-01"], "The period must not start after it ends"),
    (["--from", "2026-11-06"], "The period must not start after it ends"),
    (["--from", "2020-01-01"], "The period must be at most 1096 days long."),
]


@pytest.mark.parametrize("command", ["stats", "export"])
@pytest.mark.parametrize(("args", "message"), BAD_PERIODS)
def test_bad_periods_are_exit_2_and_one_line(
    runner: FlaskCliRunner, log: SQLiteStore, command: str, args: list[str], message: str
) -> None:
    result = run(runner, command, *args)
    assert result.exit_code == 2
    [line] = result.output.splitlines()
    assert line.startswith(f"Error: {message}")
    assert log.audit_trail() == [], "nothing written"


@pytest.mark.parametrize("command", [["stats"], ["export"], ["show", ALICE], ["anonymise", ALICE]])
def test_commands_refuse_a_log_just_invented(runner: FlaskCliRunner, command: list[str]) -> None:
    result = run(runner, *command)
    assert result.exit_code == 2
    assert result.output.startswith("Error: there is no consent log at ")


# ---- export ----


def test_export_csv_is_the_log(runner: FlaskCliRunner, log: SQLiteStore) -> None:
    result = run(runner, "export", *PERIOD)
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout_bytes.decode(), newline="")))
    assert tuple(rows[0]) == COLUMNS
    expected = [
        ["" if v is None else str(int(v) if isinstance(v, bool) else v) for v in row.values()]
        for row in in_period(log)
    ]
    for row in expected:
        row[COLUMNS.index("categories")] = row[COLUMNS.index("categories")].replace("'", '"')
        row[COLUMNS.index("categories")] = row[COLUMNS.index("categories")].replace(" ", "")
    assert rows[1:] == expected
    # Every record of the period, the scanner's too, oldest first.
    assert [(r[0], r[1]) for r in rows[1:]] == [
        (r.consent_id, r.created_at) for r in LOG if "2026-11-01" <= r.created_at < "2026-11-06"
    ]
    assert rows[1][COLUMNS.index("categories")] == (
        '["essential","statistics","personalization","marketing"]'
    )
    assert [r[COLUMNS.index("agent")] for r in rows[1:]] == ["", "", "scanner", "", "", "", ""]
    assert log.audit_trail() == [
        {
            "created_at": "2026-11-05T12:00:00Z",
            "action": "export",
            "target": "2026-11-01..2026-11-05",
            "ip_prefix": None,
        }
    ]


def test_export_json_lines_is_the_log(runner: FlaskCliRunner, log: SQLiteStore) -> None:
    result = run(runner, "export", *PERIOD, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [json.loads(line) for line in lines] == in_period(log)
    assert list(json.loads(lines[0])) == list(COLUMNS)
    assert json.loads(lines[1])["gpc"] is True


def test_export_to_a_file(runner: FlaskCliRunner, log: SQLiteStore, tmp_path: Path) -> None:
    target = tmp_path / "audit.csv"
    result = run(runner, "export", *PERIOD, "--output", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"7 records of 2026-11-01..2026-11-05 written to {target}\n"
    assert target.read_bytes().count(b"\r\n") == 8


def test_export_of_an_empty_period_is_the_header(runner: FlaskCliRunner, log: SQLiteStore) -> None:
    result = run(runner, "export", "--from", "2026-01-01", "--to", "2026-01-31")
    assert result.exit_code == 0
    assert result.stdout_bytes.decode() == ",".join(COLUMNS) + "\r\n"


def test_export_to_a_folder_that_does_not_exist(
    runner: FlaskCliRunner, log: SQLiteStore, tmp_path: Path
) -> None:
    result = run(runner, "export", "--output", str(tmp_path / "nope" / "x.csv"))
    assert result.exit_code == 2
    assert result.output.startswith("Error: cannot write ")
    assert log.audit_trail() == []


# ---- show ----


def test_show_json_has_the_records_and_the_texts(runner: FlaskCliRunner, log: SQLiteStore) -> None:
    result = run(runner, "show", ALICE, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "id": ALICE,
        "records": log.history(ALICE),
        "texts": {BANNER: TEXTS[BANNER], PREFERENCES: TEXTS[PREFERENCES]},
        "audit": [],
    }
    assert [r["action"] for r in log.history(ALICE)] == ["accept_all", "custom"]


def test_show_text(runner: FlaskCliRunner, log: SQLiteStore) -> None:
    result = run(runner, "show", f"  {BOB.upper()} ")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"consent ID {BOB}: 2 records"
    assert "  action      accept_all" in lines
    assert "  categories  essential, statistics" in lines
    assert "  gpc         True" in lines
    assert "  text_hash   " in lines


def test_show_an_unknown_id_is_exit_1(runner: FlaskCliRunner, log: SQLiteStore) -> None:
    result = run(runner, "show", UNKNOWN)
    assert result.exit_code == 1
    assert result.output == f"Error: The consent log has no record of the consent ID {UNKNOWN}.\n"


@pytest.mark.parametrize("command", ["show", "anonymise"])
@pytest.mark.parametrize("value", ["anonymised", "1234", ALICE + "0", "' OR 1=1 --"])
def test_what_is_not_a_consent_id_is_exit_2(
    runner: FlaskCliRunner, log: SQLiteStore, command: str, value: str
) -> None:
    before = in_period(log)
    result = run(runner, command, value)
    assert result.exit_code == 2
    [line] = result.output.splitlines()
    assert line.startswith(f"Error: “{value[:40]}” is not a consent ID")
    assert in_period(log) == before
    assert log.audit_trail() == []


# ---- anonymise ----


def test_anonymise_an_id_and_audit_it(runner: FlaskCliRunner, log: SQLiteStore) -> None:
    result = run(runner, "anonymise", ALICE)
    assert result.exit_code == 0, result.output
    assert result.output == f"anonymised 2 records of consent ID {ALICE}\n"
    assert log.history(ALICE) == []
    assert log.count("anonymised") == 2
    audit = {
        "created_at": "2026-11-05T12:00:00Z",
        "action": "anonymise",
        "target": ALICE,
        "ip_prefix": None,
    }
    assert log.audit_trail() == [audit]
    # The erasure itself stays visible, and the figures do not change.
    shown = json.loads(run(runner, "show", ALICE, "--format", "json").output)
    assert shown == {"id": ALICE, "records": [], "texts": {}, "audit": [audit]}
    stats = json.loads(run(runner, "stats", *PERIOD, "--format", "json").output)
    assert stats == EXPECTED
    # Nothing left to anonymise: exit 1, and no second audit row.
    again = run(runner, "anonymise", ALICE)
    assert again.exit_code == 1
    assert again.output == f"Error: The consent log has no record of the consent ID {ALICE}.\n"
    assert log.audit_trail() == [audit]


def test_in_a_french_terminal_it_speaks_french(
    runner: FlaskCliRunner, log: SQLiteStore, tmp_path: Path
) -> None:
    """The words follow LANG; the codes, keys, columns and data do not."""
    french = "fr_CM.UTF-8"
    lines = run(runner, "stats", *PERIOD, lang=french).output.splitlines()
    assert lines[0] == (
        "Chiffres du 2026-11-01 au 2026-11-05 (5 jours, UTC), enregistrements des visiteurs"
        " seulement"
    )
    assert lines[2:6] == [
        "choix      5",
        "visiteurs  4",
        "retraits   1",
        "actions    accept_all 2, reject_all 1, custom 2, withdraw 1",
    ]
    assert lines[7:9] == [
        "catégorie        accordée  taux d’accord",  # noqa: RUF001
        "statistics              3        60,00 %",
    ]
    assert lines[12:16] == [
        "par langue    en 3, fr 2",
        "par surface   banner 3, preferences 1, placeholder 1, api 0",
        "par révision  1 4, 2 1",
        "par GPC       0 4, 1 1",
    ]
    assert lines[-6].startswith("date        choices  withdrawals  accept_all")
    english = run(runner, "stats", *PERIOD, "--format", "json").output
    assert run(runner, "stats", *PERIOD, "--format", "json", lang=french).output == english

    shown = run(runner, "show", BOB, lang=french).output.splitlines()
    assert shown[0] == f"identifiant de consentement {BOB} : 2 enregistrements"
    assert shown[2] == "enregistrement 1"
    assert "  action      accept_all" in shown

    out = tmp_path / "log.csv"
    done = run(runner, "export", *PERIOD, "--output", str(out), lang=french)
    assert done.stderr == f"7 enregistrements de 2026-11-01..2026-11-05 écrits dans {out}\n"

    bad = run(runner, "stats", "--from", "2026-11-31", lang=french)
    assert (bad.exit_code, bad.output) == (
        2,
        "Error: « from » doit être un jour UTC écrit AAAA-MM-JJ, et non « 2026-11-31 ».\n",
    )
    unknown = run(runner, "show", UNKNOWN, lang=french)
    assert unknown.exit_code == 1
    assert unknown.output == (
        "Error: Le journal des consentements ne contient aucun enregistrement de"
        f" l’identifiant de consentement {UNKNOWN}.\n"  # noqa: RUF001
    )
    erased = run(runner, "anonymise", ALICE, lang=french)
    assert erased.output == (
        f"2 enregistrements de l’identifiant de consentement {ALICE} anonymisés\n"  # noqa: RUF001
    )


def test_help_names_every_option(runner: FlaskCliRunner) -> None:
    for command, options in {
        "stats": ("--from", "--to", "--format", "text|json|csv"),
        "export": ("--from", "--to", "--format", "csv|jsonl", "--output"),
        "show": ("CONSENT_ID", "--format", "text|json"),
        "anonymise": ("CONSENT_ID",),
    }.items():
        result = runner.invoke(args=["consent", command, "--help"])
        assert result.exit_code == 0
        for option in options:
            assert option in result.output, (command, option)


def test_the_help_in_a_french_terminal(runner: FlaskCliRunner) -> None:
    """Ours in French, with no-break spaces before French punctuation (no line of the
    wrapped help begins with a colon); click's own words in English; then English again."""
    group = runner.invoke(args=["consent", "--help"], env={"LANG": "fr_CM.UTF-8"}).output
    assert "Exploiter le journal des consentements" in group
    assert "  stats      Afficher les chiffres d’accord d’une période" in group  # noqa: RUF001
    stats = runner.invoke(args=["consent", "stats", "--help"], env={"LANG": "fr_CM.UTF-8"})
    assert stats.exit_code == 0
    text = re.sub(r"[ \n]+", " ", stats.output)  # as unwrapped: no-break spaces kept
    assert "Premier jour UTC de la période, inclus (par\u00a0défaut\u00a0: 29 jours" not in text
    assert "inclus (par défaut\u00a0: 29 jours avant --to)" in text
    assert stats.output.startswith("Usage: ")  # click's word
    assert not [line for line in stats.output.splitlines() if line.strip().startswith(":")]
    scan = runner.invoke(args=["consent", "scan", "--help"], env={"LANG": "fr_CM.UTF-8"})
    assert "[default: (la langue du terminal, sinon en)]" in re.sub(r"[ \n]+", " ", scan.output)
    english = runner.invoke(args=["consent", "stats", "--help"]).output
    assert "First UTC day of the period, included (default: 29" in english


# ---- the installed script ----


def test_every_command_as_the_installed_script(
    tmp_path: Path, config: dict[str, Any], log: SQLiteStore
) -> None:
    env = {"CONSENT_DATABASE": config["CONSENT_DATABASE"], "CONSENT_SECRET_KEY": SECRET}

    stats = consent_ui_script(tmp_path, "stats", *PERIOD, "--format", "json", **env)
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout) == EXPECTED

    export = consent_ui_script(tmp_path, "export", *PERIOD, "--format", "jsonl", **env)
    assert export.returncode == 0, export.stderr
    assert [json.loads(line) for line in export.stdout.splitlines()] == in_period(log)
    assert export.stderr == "", "no progress bar when stderr is not a terminal"

    show = consent_ui_script(tmp_path, "show", ALICE, "--format", "json", **env)
    assert show.returncode == 0, show.stderr
    assert json.loads(show.stdout)["records"] == log.history(ALICE)

    erase = consent_ui_script(tmp_path, "anonymise", ALICE, **env)
    assert (erase.returncode, erase.stdout) == (0, f"anonymised 2 records of consent ID {ALICE}\n")
    missing = consent_ui_script(tmp_path, "show", ALICE, **env)
    assert missing.returncode == 0, "the audit row is left"
    unknown = consent_ui_script(tmp_path, "show", BOB[:-1] + "0", **env)
    assert unknown.returncode == 1
    bad = consent_ui_script(tmp_path, "stats", "--from", "tomorrow", **env)
    assert bad.returncode == 2
    assert len(bad.stderr.splitlines()) == 1


def test_a_progress_bar_on_a_terminal_only(
    tmp_path: Path, config: dict[str, Any], log: SQLiteStore
) -> None:
    """stderr a terminal: the bar is drawn there, and stdout is the CSV alone."""
    env = {"CONSENT_DATABASE": config["CONSENT_DATABASE"], "CONSENT_SECRET_KEY": SECRET}
    script = Path(sys.executable).with_name("consent-ui")
    main, secondary = pty.openpty()
    try:
        result = subprocess.run(
            [str(script), "export", *PERIOD],
            cwd=tmp_path,
            env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "TERM": "dumb", **env},
            stdout=subprocess.PIPE,
            stderr=secondary,
            timeout=60,
            check=False,
        )
        os.close(secondary)
        drawn = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(main)
    assert result.returncode == 0
    assert result.stdout.count(b"\r\n") == 8
    assert result.stdout.startswith(b"consent_id,created_at,")
    assert b"exporting" in drawn
    assert b"7" in drawn
