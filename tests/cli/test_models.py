"""``ichseg models``."""

from __future__ import annotations

import json

from ichseg.cli.main import main
from ichseg.models import MODELS


def test_models_json_lists_both_registries(capsys):
    assert main(["models", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    by_name = {(row["name"], row["spatial_dims"]): row for row in listing["models"]}
    assert abs(by_name[("nnunet_r", 3)]["parameters"] - 22.01e6) < 0.05e6
    assert by_name[("unet2d", 2)]["input_multiple"] == [32, 32]
    assert {"dice", "dice_ce", "dice_focal", "focal", "tversky", "focal_tversky", "dice_topk", "jaccard", "ce"} <= {
        row["name"] for row in listing["losses"]}
    assert len(by_name) == sum(len(MODELS.entry(n).metadata["dims"]) for n in MODELS.names())


def test_the_shipped_listing_is_what_the_registries_say_now():
    """ichseg models reads a shipped listing (no MONAI import); it must match the live registries.
    After adding a network or a loss: ichseg models --live --json > src/ichseg/resources/model_catalogue.json"""
    from ichseg.cli.models import shipped_catalogue
    from ichseg.models.catalogue import loss_catalogue, model_catalogue

    shipped = shipped_catalogue()
    assert shipped["models"] == json.loads(json.dumps(model_catalogue()))
    assert shipped["losses"] == json.loads(json.dumps(loss_catalogue()))


def test_listing_models_imports_no_network_library():
    import subprocess
    import sys

    code = "import sys; from ichseg.cli.main import main; main(['models']); print('monai' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "False" and "nnunet_r" in result.stdout
