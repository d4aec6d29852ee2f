import numpy as np

from blob_dataset import write_blob_dataset
from ichseg.data.dataset_format import DatasetWriter, list_dataset_cases
from ichseg.io import read_volume
from ichseg.train.data_loading import load_training_cases

WINDOWS = {"scheme": "windows", "windows": "rgb3"}


def test_cached_cases_are_reused_and_a_case_made_again_is_prepared_again(tmp_path):
    root = write_blob_dataset(tmp_path / "data", n_cases=2)
    entries = list_dataset_cases(root)
    first = load_training_cases(entries, (1.0, 1.0, 5.0), WINDOWS, cache=tmp_path / "cache")
    assert len(list((tmp_path / "cache").rglob("*.npz"))) == 2 and first[0].labels.any()

    # the same case name written again with other labels (a regenerated dataset)
    image = read_volume(entries[0].image)
    empty = read_volume(entries[0].label)
    empty.array[:] = 0
    DatasetWriter(root).write_labelled(entries[0].case, image, empty)
    again = load_training_cases(entries, (1.0, 1.0, 5.0), WINDOWS, cache=tmp_path / "cache")
    assert not again[0].labels.any()
    np.testing.assert_array_equal(again[1].channels, first[1].channels)
    np.testing.assert_array_equal(again[1].labels, first[1].labels)
