import json

from ichseg.cli.main import main


def test_demo_end_to_end(tmp_path, capsys):
    assert main(["demo", "-o", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "true mL" in printed and "IPH" in printed
    result = json.loads((tmp_path / "demo.json").read_text())
    case = tmp_path / "ge_head_ct_demo"
    assert {p.name for p in case.iterdir()} == {"segmentation.nii.gz", "volumes.json", "preview.png"}
    assert (tmp_path / "summary.csv").exists() and (tmp_path / "run.json").exists()
    volumes = result["volumes"]
    assert volumes["IPH"]["true_ml"] > 30 and volumes["IVH"]["true_ml"] > 0
    # the bundled model finds the inserted blood: within 25 % of the true total
    assert abs(volumes["any"]["measured_ml"] - volumes["any"]["true_ml"]) < 0.25 * volumes["any"]["true_ml"]
    assert json.loads((case / "volumes.json").read_text())["ivh_present"] is True
