"""setup.cfg: every console script names a CLI `main` that exists and answers --help."""

import configparser
import importlib
from pathlib import Path

import pytest

SETUP_CFG = Path(__file__).resolve().parents[1] / "setup.cfg"


def console_scripts() -> dict[str, str]:
    config = configparser.ConfigParser()
    config.read(SETUP_CFG)
    lines = config["options.entry_points"]["console_scripts"].strip().splitlines()
    return dict(tuple(part.strip() for part in line.split("=", 1)) for line in lines)


def test_one_console_script_per_job_cli():
    assert console_scripts() == {f"gan-style-{verb}": f"gan_style.{verb}:main"
                                 for verb in ("train", "repair", "stylize", "generate", "evaluate")}


@pytest.mark.parametrize("target", sorted(console_scripts().values()))
def test_console_script_target_answers_help(target, capsys):
    module, function = target.split(":")
    main = getattr(importlib.import_module(module), function)
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0 and "usage:" in capsys.readouterr().out
