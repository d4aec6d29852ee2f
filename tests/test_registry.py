"""Registries: lazy providers, ``package.module:attr`` extension, names read from files."""

import sys

import pytest

from ichseg.registry import Registry


def test_a_builder_outside_ichseg_is_found_by_module_and_attribute(tmp_path, monkeypatch):
    (tmp_path / "my_plugin.py").write_text(
        "def build_half(x):\n    '''Halves its input.'''\n    return x / 2\n"
        "build_half.ichseg_metadata = {'dims': (3,)}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry("thing", default_metadata={"dims": (2, 3), "size": 1})
    entry = registry.entry("my_plugin:build_half")
    assert entry.builder(4) == 2 and entry.description == "Halves its input."
    assert entry.metadata == {"dims": (3,), "size": 1}  # the builder's metadata over the defaults


def test_an_unimportable_external_name_is_a_key_error_naming_it():
    registry = Registry("thing")
    with pytest.raises(KeyError, match="thing 'no_such_module_xyz:build' cannot be imported"):
        registry.entry("no_such_module_xyz:build")
    with pytest.raises(KeyError, match="cannot be imported"):
        registry.entry("os:no_such_attribute")


def test_a_registry_of_names_read_from_files_never_imports(tmp_path, monkeypatch):
    (tmp_path / "side_effect.py").write_text("import sys\nsys.modules['side_effect_ran'] = True\nbuild = len\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry("intensity scheme", external=False)
    with pytest.raises(KeyError, match="unknown intensity scheme"):
        registry.entry("side_effect:build")
    assert "side_effect_ran" not in sys.modules


def test_providers_are_imported_on_the_first_lookup_only(tmp_path, monkeypatch):
    (tmp_path / "provider_mod.py").write_text(
        "from test_registry import LAZY\n@LAZY.register('late', description='registered by a provider')\n"
        "def late():\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "provider_mod" not in sys.modules
    assert LAZY.names() == ["late"] and LAZY.build("late") == 1


LAZY = Registry("lazy thing", providers=("provider_mod",))


def test_reading_a_bundle_imports_neither_monai_nor_torch():
    import subprocess

    code = ("import sys; from ichseg.infer.bundle import load_bundle; "
            "load_bundle('default', onnx=True); print('monai' in sys.modules, 'torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False False"
