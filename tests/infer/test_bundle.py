import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from ichseg.infer import bundle as bundle_module
from ichseg.infer.bundle import PROGRAM, WEIGHTS, load_bundle, sha256_of
from ichseg.infer.predictor import Predictor
from ichseg.io import Volume


@pytest.fixture
def trusted_tiny(tiny_bundle, monkeypatch):
    """The tiny bundle with its program trusted as if it were shipped in the package."""
    monkeypatch.setattr(bundle_module, "TRUSTED_PROGRAMS", frozenset({sha256_of(tiny_bundle / PROGRAM)}))
    return tiny_bundle


def test_exported_program_predicts_what_the_network_does(trusted_tiny):
    network, program = load_bundle(trusted_tiny), load_bundle(trusted_tiny, program=True)
    assert not network.exported and program.exported
    volume = Volume(np.random.default_rng(0).normal(40, 30, (50, 45, 6)).astype(np.float32), np.diag([0.9, 0.9, 5, 1]))
    expected, _ = Predictor([network], device="cpu").probabilities(volume)
    found, _ = Predictor([program], device="cpu").probabilities(volume)
    torch.testing.assert_close(found, expected, atol=1e-5, rtol=0)


def test_exported_program_is_refused_off_the_cpu(trusted_tiny):
    with pytest.raises(ValueError, match="CPU only"):
        Predictor([load_bundle(trusted_tiny, program=True)], device="meta")  # any non-CPU device


def test_loading_the_program_does_not_import_monai(tiny_bundle):
    code = ("import sys; import ichseg.infer.bundle as b; "
            f"b.TRUSTED_PROGRAMS = frozenset({{b.sha256_of({str(tiny_bundle / PROGRAM)!r})}}); "
            f"print(b.load_bundle({str(tiny_bundle)!r}, program=True).exported, 'monai' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "True False"


def test_damaged_program_is_refused_and_a_bundle_without_one_builds_the_network(tmp_path, trusted_tiny):
    damaged = tmp_path / "damaged"
    shutil.copytree(trusted_tiny, damaged)
    with open(damaged / PROGRAM, "r+b") as stream:
        stream.seek(-4, 2)
        stream.write(b"\x00\x01\x02\x03")
    with pytest.raises(ValueError, match="checksum"):
        load_bundle(damaged, program=True)
    (damaged / PROGRAM).unlink()
    with pytest.raises(ValueError, match="missing"):  # listed in bundle.json but gone
        load_bundle(damaged, program=True)
    description = json.loads((damaged / "bundle.json").read_text())
    del description["program_sha256"]
    (damaged / "bundle.json").write_text(json.dumps(description))
    assert not load_bundle(damaged, program=True).exported


def test_a_program_not_shipped_with_ichseg_is_never_deserialised(tmp_path, tiny_bundle, monkeypatch):
    """A user's bundle whose program and checksum were both written by its author: the
    program file is not opened, the network is rebuilt from spec + weights."""
    crafted = tmp_path / "crafted"
    shutil.copytree(tiny_bundle, crafted)
    (crafted / PROGRAM).write_bytes(b"PK\x03\x04 anything the author wants to run")
    description = json.loads((crafted / "bundle.json").read_text())
    description["program_sha256"] = sha256_of(crafted / PROGRAM)  # the author writes the checksum too
    (crafted / "bundle.json").write_text(json.dumps(description))
    opened = []
    monkeypatch.setattr(torch.export, "load", lambda *args, **kwargs: opened.append(args))
    bundle = load_bundle(crafted, program=True)
    assert opened == [] and not bundle.exported
    assert isinstance(bundle.network, torch.nn.Module)


def test_the_shipped_program_is_trusted_by_its_fixed_checksum():
    from ichseg.infer.bundle import bundled_model_path

    assert sha256_of(bundled_model_path() / PROGRAM) in bundle_module.TRUSTED_PROGRAMS


def test_weights_that_do_not_match_their_checksum_are_refused_on_every_path(tmp_path, trusted_tiny):
    swapped = tmp_path / "swapped"
    shutil.copytree(trusted_tiny, swapped)
    data = bytearray((swapped / WEIGHTS).read_bytes())
    data[-2] ^= 0xFF  # one weight byte changed
    (swapped / WEIGHTS).write_bytes(bytes(data))
    for program in (False, True):
        with pytest.raises(ValueError, match=f"{WEIGHTS}: checksum"):
            load_bundle(swapped, program=program)


@pytest.mark.parametrize("text, problem", [
    ("{not json", "not a readable bundle description"),
    ("[1, 2]", "JSON object with a 'network' object"),
    ('{"network": {"model": "unet"}}', "network.spatial_dims is missing"),
])
def test_a_broken_bundle_json_names_the_file(tmp_path, tiny_bundle, text, problem):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_bundle, broken)
    (broken / "bundle.json").write_text(text)
    with pytest.raises(ValueError, match=problem) as raised:
        load_bundle(broken)
    assert str(raised.value).startswith(str(broken / "bundle.json"))


def test_an_unregistered_network_or_a_bad_checksum_field_is_refused(tmp_path, tiny_bundle):
    odd = tmp_path / "odd"
    shutil.copytree(tiny_bundle, odd)
    description = json.loads((odd / "bundle.json").read_text())
    (odd / "bundle.json").write_text(json.dumps({**description, "network": {**description["network"],
                                                                             "model": "os:system"}}))
    with pytest.raises(ValueError, match="network.model 'os:system' is not a registered network name"):
        load_bundle(odd)
    (odd / "bundle.json").write_text(json.dumps({**description, "sha256": "abc"}))
    with pytest.raises(ValueError, match="sha256 must be a SHA-256"):
        load_bundle(odd)


def test_a_network_whose_trace_depends_on_the_input_size_is_not_exported(tmp_path):
    from ichseg.infer.bundle import export_program

    class SizeDependent(torch.nn.Module):
        def forward(self, x):
            return x[:, :7] * int(x.shape[-1])  # int() freezes the example's width into a traced program

    from ichseg.models.network_spec import NetworkSpec

    spec = NetworkSpec(model="unet", spatial_dims=2, in_channels=9, out_channels=7, patch_size=(64, 64),
                       spacing=(1.0, 1.0, 5.0), normalization={"scheme": "windows", "windows": "rgb3"})
    with pytest.raises(ValueError, match="does not reproduce the network"):
        export_program(SizeDependent().eval(), spec, tmp_path / "model.ts")
    assert not (tmp_path / "model.ts").exists()


@pytest.mark.parametrize("edit, problem", [
    (lambda d: d.update(format_version=2), "bundle format version 2 is not one this ichseg reads"),
    (lambda d: d["network"].update(version=3), "network spec version 3 is not one this ichseg reads"),
    (lambda d: d["network"].update(dropout_everywhere=True), "unknown fields \\['dropout_everywhere'\\]"),
])
def test_a_bundle_of_an_unknown_version_is_refused_in_one_line(tmp_path, tiny_bundle, edit, problem):
    newer = tmp_path / "newer"
    shutil.copytree(tiny_bundle, newer)
    description = json.loads((newer / "bundle.json").read_text())
    assert description["format_version"] == 1 and description["network"]["version"] == 1  # what ichseg writes
    edit(description)
    (newer / "bundle.json").write_text(json.dumps(description))
    with pytest.raises(ValueError, match=problem) as raised:
        load_bundle(newer)
    assert str(raised.value).startswith(str(newer / "bundle.json")) and "\n" not in str(raised.value)


def test_a_bundle_written_before_versioning_reads_as_version_1():
    from ichseg.infer.bundle import bundled_model_path

    description = json.loads((bundled_model_path() / "bundle.json").read_text())
    assert "format_version" not in description  # the shipped bundles predate it
    assert load_bundle("default").description.format_version == 1


@pytest.mark.parametrize("half", [False, True])
def test_a_network_that_names_one_module_twice_is_exported_and_loads_back(tmp_path, half):
    # DynUNet lists its blocks under a second name (deep-supervision skip_layers): the same tensors twice
    from ichseg.infer.bundle import export_bundle
    from ichseg.models.network_spec import NetworkSpec

    spec = NetworkSpec(model="dynunet", options={"kernel_size": [[3, 3]] * 4, "strides": [[1, 1]] + [[2, 2]] * 3,
                                                 "filters": [4, 8, 16, 32]},
                       spatial_dims=2, in_channels=1, out_channels=7, patch_size=(32, 32),
                       spacing=(2.0, 2.0, 5.0), normalization={"scheme": "ct"})
    torch.manual_seed(0)
    network = spec.build()
    state = network.state_dict()
    assert any(a is not b and a.data_ptr() == b.data_ptr() for a in state.values() for b in state.values())
    export_bundle({"network": spec.to_dict(), "model": state}, tmp_path / "b", name="dyn", training={}, half=half,
                  program=False)
    weights = load_bundle(tmp_path / "b").network.state_dict()
    for name, value in state.items():
        expected = value.half().float() if half and value.is_floating_point() else value
        torch.testing.assert_close(weights[name].to(expected.dtype), expected, msg=name)
