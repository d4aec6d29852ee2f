"""``ichseg info`` and the entry point."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ichseg import __version__
from ichseg.cli.main import main


def test_info_json_on_real_tilted_scan(ge_folder, capsys):
    assert main(["info", str(ge_folder), "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["shape"] == [512, 611, 37]
    assert facts["manufacturer"] == "GE MEDICAL SYSTEMS"
    assert facts["gantry_tilt_tag_deg"] == 18.5
    assert facts["hu_min"] == -1024.0
    assert "only axial original CT series" in facts["series_choice"]
    assert any("uneven slice spacing" in w for w in facts["warnings"])


def test_info_text_on_study(philips_study, capsys):
    assert main(["info", str(philips_study)]) == 0
    out = capsys.readouterr().out
    assert "STD BRAIN 5MM" in out and "localizer" in out and "DIRFILE" in out


def test_bad_input_exits_1_with_message(tmp_path, capsys):
    assert main(["info", str(tmp_path / "missing.nii.gz")]) == 1
    assert "missing.nii.gz: no such file or folder" in capsys.readouterr().err


def test_console_script_version():
    result = subprocess.run([sys.executable, "-m", "ichseg", "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"ichseg {__version__}"


def test_window_option_is_validated(capsys):
    with pytest.raises(SystemExit):
        main(["info", ".", "--window", "40"])
    assert "expected 2 comma-separated numbers" in capsys.readouterr().err
