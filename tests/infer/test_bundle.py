import hashlib
import json
import shutil

import numpy as np
import pytest
import torch

from ichseg.infer.bundle import WEIGHTS, load_bundle, sha256_of
from ichseg.infer.onnx_network import ONNX_FILE, OnnxNetwork
from ichseg.infer.predictor import Predictor
from ichseg.io import Volume


def test_the_onnx_graph_predicts_what_the_network_does(tiny_bundle):
    network, graph = load_bundle(tiny_bundle), load_bundle(tiny_bundle, onnx=True)
    assert not network.exported and graph.exported and isinstance(graph.network, OnnxNetwork)
    volume = Volume(np.random.default_rng(0).normal(40, 30, (50, 45, 6)).astype(np.float32), np.diag([0.9, 0.9, 5, 1]))
    expected, _ = Predictor([network], device="cpu").probabilities(volume)
    found, _ = Predictor([graph], device="cpu").probabilities(volume)
    np.testing.assert_allclose(found, expected, atol=1e-5, rtol=0)
    again, _ = Predictor([load_bundle(tiny_bundle, onnx=True)], device="cpu").probabilities(volume)
    np.testing.assert_array_equal(again, found)  # deterministic: same graph, same threads, same numbers


def test_the_onnx_graph_is_refused_off_the_cpu(tiny_bundle):
    with pytest.raises(ValueError, match="CPU only"):
        Predictor([load_bundle(tiny_bundle, onnx=True)], device="meta")  # any non-CPU device


def test_a_damaged_graph_is_refused_and_a_bundle_without_one_builds_the_network(tmp_path, tiny_bundle):
    damaged = tmp_path / "damaged"
    shutil.copytree(tiny_bundle, damaged)
    with open(damaged / ONNX_FILE, "r+b") as stream:
        stream.seek(-4, 2)
        stream.write(b"\x00\x01\x02\x03")
    with pytest.raises(ValueError, match="checksum"):
        load_bundle(damaged, onnx=True)
    (damaged / ONNX_FILE).unlink()
    with pytest.raises(ValueError, match="missing"):  # listed in bundle.json but gone
        load_bundle(damaged, onnx=True)
    description = json.loads((damaged / "bundle.json").read_text())
    del description["onnx_sha256"]
    (damaged / "bundle.json").write_text(json.dumps(description))
    assert not load_bundle(damaged, onnx=True).exported


def test_a_graph_onnx_runtime_cannot_read_is_refused_in_one_line(tmp_path, tiny_bundle):
    garbage = tmp_path / "garbage"
    shutil.copytree(tiny_bundle, garbage)
    (garbage / ONNX_FILE).write_bytes(b"not a graph")
    description = json.loads((garbage / "bundle.json").read_text())
    (garbage / "bundle.json").write_text(json.dumps({**description, "onnx_sha256": sha256_of(garbage / ONNX_FILE)}))
    with pytest.raises(ValueError, match="not a graph ONNX Runtime can run") as raised:
        load_bundle(garbage, onnx=True)
    assert str(raised.value).startswith(str(garbage / ONNX_FILE)) and "\n" not in str(raised.value)


def test_an_older_bundle_s_torchscript_program_is_never_deserialised(tmp_path, tiny_bundle, monkeypatch):
    """A bundle whose program and checksum were both written by its author: the program
    file is not opened, the network is rebuilt from spec + weights (or run from its graph)."""
    crafted = tmp_path / "crafted"
    shutil.copytree(tiny_bundle, crafted)
    (crafted / "model.ts").write_bytes(b"PK\x03\x04 anything the author wants to run")
    description = json.loads((crafted / "bundle.json").read_text())
    description["program_sha256"] = sha256_of(crafted / "model.ts")  # the author writes the checksum too
    del description["onnx_sha256"]
    (crafted / "bundle.json").write_text(json.dumps(description))
    opened = []
    monkeypatch.setattr(torch.jit, "load", lambda *args, **kwargs: opened.append(args))
    bundle = load_bundle(crafted, onnx=True)
    assert opened == [] and not bundle.exported
    assert isinstance(bundle.network, torch.nn.Module)


def test_both_shipped_bundles_carry_a_checked_graph():
    from ichseg.infer.bundle import BUNDLED, bundled_model_path

    for name in BUNDLED:
        description = json.loads((bundled_model_path(name) / "bundle.json").read_text())
        assert sha256_of(bundled_model_path(name) / ONNX_FILE) == description["onnx_sha256"]
        assert not (bundled_model_path(name) / "model.ts").exists()


@pytest.mark.parametrize("name", ["default", "windowed"])
def test_each_shipped_graph_is_the_export_of_its_shipped_weights(name):
    """The CPU path (the graph) and the GPU path (the weights) run the same network: the
    export is deterministic, so exporting the shipped weights again gives the same bytes."""
    from safetensors.torch import load_file

    from ichseg.infer.bundle import SLICE_MULTIPLE, bundled_model_path, read_description
    from ichseg.infer.onnx_network import onnx_graph

    folder = bundled_model_path(name)
    description = read_description(folder)
    network = description.network.build()
    network.load_state_dict({k: v.float() for k, v in load_file(str(folder / WEIGHTS)).items()})
    graph = onnx_graph(network.eval(), description.network, size_multiple=SLICE_MULTIPLE)
    assert hashlib.sha256(graph).hexdigest() == description.onnx_sha256


def test_weights_that_do_not_match_their_checksum_are_refused_on_every_path(tmp_path, tiny_bundle):
    swapped = tmp_path / "swapped"
    shutil.copytree(tiny_bundle, swapped)
    data = bytearray((swapped / WEIGHTS).read_bytes())
    data[-2] ^= 0xFF  # one weight byte changed
    (swapped / WEIGHTS).write_bytes(bytes(data))
    for onnx in (False, True):
        with pytest.raises(ValueError, match=f"{WEIGHTS}: checksum"):
            load_bundle(swapped, onnx=onnx)


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


def test_a_network_whose_export_depends_on_the_input_size_is_refused():
    from ichseg.infer.onnx_network import onnx_graph

    class SizeDependent(torch.nn.Module):
        def forward(self, x):
            return x[:, :7] * int(x.shape[-1])  # int() freezes the example's width into the exported graph

    from ichseg.models.network_spec import NetworkSpec

    spec = NetworkSpec(model="unet", spatial_dims=2, in_channels=9, out_channels=7, patch_size=(64, 64),
                       spacing=(1.0, 1.0, 5.0), normalization={"scheme": "windows", "windows": "rgb3"})
    with pytest.raises(ValueError, match="does not reproduce the network"):
        onnx_graph(SizeDependent().eval(), spec)


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


def test_a_bundle_written_before_versioning_reads_as_version_1(tmp_path, tiny_bundle):
    older = tmp_path / "older"
    shutil.copytree(tiny_bundle, older)
    description = json.loads((older / "bundle.json").read_text())
    del description["format_version"], description["network"]["version"]  # as bundles were written before it
    (older / "bundle.json").write_text(json.dumps(description))
    loaded = load_bundle(older)
    assert loaded.description.format_version == 1 and loaded.description.network.version == 1


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
                  onnx=False)
    weights = load_bundle(tmp_path / "b").network.state_dict()
    for name, value in state.items():
        expected = value.half().float() if half and value.is_floating_point() else value
        torch.testing.assert_close(weights[name].to(expected.dtype), expected, msg=name)
