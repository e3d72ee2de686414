"""Layout is architecture: only bot/ talks to Telegram; settings and commands are documented."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bot.runtime.settings import SETTINGS, load_settings
from flows.commands import COMMANDS

ROOT = Path(__file__).resolve().parents[2]


def test_nothing_outside_bot_and_the_sandbox_imports_telegram() -> None:
    pattern = re.compile(r"^\s*(from|import)\s+telegram\b", re.MULTILINE)
    for package in ("flows", "storage", "geo", "reports"):
        for path in ROOT.joinpath(package).rglob("*.py"):
            assert not pattern.search(path.read_text()), f"{path} imports telegram"


# DESIGN.md: bot -> flows -> storage, geo; bot -> reports -> storage, geo; sandbox -> bot,
# never bot -> sandbox (the sandbox adds its commands through an entry point).
ALLOWED_IMPORTS = {
    "bot": {"bot", "flows", "reports", "storage", "geo"},
    "sandbox": {"sandbox", "bot", "flows", "reports", "storage", "geo"},
    "flows": {"flows", "storage", "geo"},
    "reports": {"reports", "storage", "geo"},
    "storage": {"storage"},
    "geo": {"geo"},
}
OWN_PACKAGES = {"bot", "flows", "reports", "storage", "geo", "sandbox"}


def test_imports_follow_the_designed_arrows() -> None:
    for package, allowed in ALLOWED_IMPORTS.items():
        for path in ROOT.joinpath(package).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                elif isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    assert top not in OWN_PACKAGES or top in allowed, f"{path}: imports {name}"


def test_every_setting_is_in_env_example_and_readme() -> None:
    example = ROOT.joinpath(".env.example").read_text()
    readme = ROOT.joinpath("README.md").read_text()
    for setting in SETTINGS:
        assert re.search(rf"^#? ?{setting.variable}=", example, re.MULTILINE), setting.variable
        assert setting.variable in readme, setting.variable


def test_every_setting_read_by_the_code_is_registered() -> None:
    registered = {setting.variable for setting in SETTINGS}
    for package in ("bot", "flows", "storage", "geo", "reports", "sandbox"):
        for path in ROOT.joinpath(package).rglob("*.py"):
            for name in re.findall(r"BUURTBOT_[A-Z_]+", path.read_text()):
                assert name in registered or name == "BUURTBOT_TEST_DATABASE_URL", (path, name)


def test_every_command_is_in_the_readme() -> None:
    readme = ROOT.joinpath("README.md").read_text()
    for command in COMMANDS:
        assert f"/{command.name}" in readme, command.name


def test_defaults_match_the_design_contract() -> None:
    settings = load_settings(environ={}, dotenv_path=None)
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.database_url == "sqlite:///buurtbot.db"
    assert settings.media_dir == "media/"
    assert settings.timezone == "Europe/Brussels"
    assert settings.default_language == "nl"


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("BUURTBOT_DEFAULT_LANGUAGE=fr\nBUURTBOT_INVITE_DAYS=3\n")
    settings = load_settings(environ={"BUURTBOT_INVITE_DAYS": "9"}, dotenv_path=env_file)
    assert settings.default_language == "fr"
    assert settings.invite_days == 9


def test_the_sandbox_adds_its_commands_through_the_entry_point() -> None:
    from bot.runtime.cli import build_parser, plugin_commands

    assert {plugin.name for plugin in plugin_commands()} == {"demo", "chat"}
    assert build_parser().parse_args(["demo", "--out", "x"]).out == Path("x")
