"""`fomm` itself: every sub-command module is registered and listed in --help; a broken one fails loudly."""

from __future__ import annotations

import pkgutil
import re

import pytest

import fomm_studio.commands
from fomm_studio import cli


def test_every_command_module_is_registered() -> None:
    modules = {info.name for info in pkgutil.iter_modules(fomm_studio.commands.__path__)}
    assert modules == set(cli.COMMAND_MODULES)


def test_help_lists_every_registered_sub_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    choices = re.search(r"\{([a-z,]+)\}", out)
    assert choices is not None, out
    assert choices.group(1).split(",") == list(cli.COMMAND_MODULES)
    for name in cli.COMMAND_MODULES:
        assert re.search(rf"^\s+{name}\s+\S", out, re.MULTILINE), f"'{name}' has no help line:\n{out}"


def test_a_sub_command_that_cannot_be_imported_fails_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", (*cli.COMMAND_MODULES, "not_built"))
    with pytest.raises(ModuleNotFoundError, match=r"fomm_studio\.commands\.not_built"):
        cli.build_parser()
