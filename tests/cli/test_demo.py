import json

from ichseg.cli.main import main


def test_demo_end_to_end(tmp_path, capsys):
    assert main(["demo", "-o", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "true mL" in printed and "IPH" in printed
    result = json.loads((tmp_path / "demo.json").read_text())
    case = tmp_path / "ge_head_ct_demo"
    assert {p.name for p in case.iterdir()} == {"segmentation.nii.gz", "volumes.json", "preview.png", "viewer.json"}
    assert all((tmp_path / name).exists() for name in ("summary.csv", "run.json", "report.html"))
    volumes = result["volumes"]
    assert volumes["IPH"]["true_ml"] > 30 and volumes["IVH"]["true_ml"] > 0
    # the bundled model finds the inserted blood: within 25 % of the true total
    assert abs(volumes["any"]["measured_ml"] - volumes["any"]["true_ml"]) < 0.25 * volumes["any"]["true_ml"]
    assert json.loads((case / "volumes.json").read_text())["ivh_present"] is True
    # every type is judged against the truth, in the table and in demo.json
    for name, values in volumes.items():
        assert values["verdict"] and f"{name:<8}" in printed
        if values["true_ml"] == 0:
            assert values["verdict"] == "false: not in the truth"  # listed only because it was found
    assert not any("target_ml" in lesion for lesion in result["lesions"])  # the generator's aim is planned_ml
    assert any("planned_ml" in lesion for lesion in result["lesions"] if lesion["type"] == "IPH")
    assert (tmp_path / "input" / "ge_head_ct_demo_truth.nii.gz").exists()
    from importlib import resources

    import jsonschema

    schema = json.loads((resources.files("ichseg.resources") / "volumes.schema.json").read_text())
    jsonschema.validate(json.loads((case / "volumes.json").read_text()), schema)
