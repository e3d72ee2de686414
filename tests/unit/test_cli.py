"""The command line: a mistake is one clear line on stderr and a non-zero exit, no traceback."""

from __future__ import annotations

import pytest

from bot.runtime.cli import main


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path) -> None:
    for name in ("BUURTBOT_TELEGRAM_TOKEN", "BUURTBOT_TELEGRAM_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BUURTBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("BUURTBOT_MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.chdir(tmp_path)


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("buurtbot") and "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


@pytest.mark.parametrize(
    ("argv", "status", "words"),
    [
        (["run"], 1, "BUURTBOT_TELEGRAM_TOKEN is not set"),
        (["run", "--webhook", "http://x"], 1, "go together"),
        (["run", "--webhook", "http://x", "--port", "80"], 1, "https://"),
        (["invite", "--org", "x", "--role", "staff"], 2, "whole number"),
        (["invite", "--org", "7", "--role", "boss"], 2, "invalid choice"),
        (["invite", "--org", "7", "--role", "staff"], 1, "no organisation with id 7"),
        (["org", "create", "--name", "A", "--wijken", "1,9999"], 1, "unknown wijk"),
        (["digest", "--org", "1", "--week", "48", "--out", "x.html"], 1, "ISO week"),
        ([], 2, "required"),
    ],
)
def test_mistakes_are_one_line(capsys, argv, status, words) -> None:
    if status == 2:
        with pytest.raises(SystemExit) as raised:
            main(argv)
        assert raised.value.code == 2
    else:
        assert main(argv) == 1
    assert words in one_line_error(capsys)


def test_an_unreachable_bot_api_is_one_line(capsys, monkeypatch) -> None:
    monkeypatch.setenv("BUURTBOT_TELEGRAM_TOKEN", "1:x")
    monkeypatch.setenv("BUURTBOT_TELEGRAM_API_URL", "http://127.0.0.1:9")
    assert main(["run"]) == 1
    assert "cannot reach the Bot API" in one_line_error(capsys)


def test_several_workers_on_sqlite_are_refused_in_one_line(capsys, monkeypatch) -> None:
    monkeypatch.setenv("BUURTBOT_TELEGRAM_TOKEN", "1:x")
    assert main(["run", "--workers", "2"]) == 1
    assert "--workers needs PostgreSQL" in one_line_error(capsys)


def test_org_create_and_invite_print_what_people_need(capsys, tmp_path) -> None:
    assert main(["org", "create", "--name", "Buurtwerk", "--wijken", "1,37"]) == 0
    assert capsys.readouterr().out.strip() == "1"
    qr = tmp_path / "poster.png"
    assert main(["invite", "--org", "1", "--role", "resident", "--multi", "--qr", str(qr)]) == 0
    out = capsys.readouterr().out
    assert "code: " in out and "anyone with the code" in out
    assert qr.read_bytes().startswith(b"\x89PNG")
