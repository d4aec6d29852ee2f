"""Slice labels as a weak signal: codes from slice_labels.csv, carried onto the model grid,
a negative slice pushing its voxels to background, a positive one raising its type."""

import csv

import numpy as np
import pytest
import torch

from ichseg.data.dataset_format import UnlabelledImage
from ichseg.io import Volume, write_nifti
from ichseg.train.data_loading import load_unlabelled_cases
from ichseg.train.weak_labels import NEGATIVE, POSITIVE_BASE, read_slice_codes, slice_code, weak_slice_loss


def _one_step(logits: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
    logits = logits.clone().requires_grad_(True)
    weak_slice_loss(logits, codes).backward()
    return torch.softmax((logits - 1.0 * logits.grad).detach(), dim=1)


def test_a_negative_slice_pushes_its_voxels_to_background():
    logits = torch.randn(1, 7, 6, 6, 3, generator=torch.Generator().manual_seed(0))
    codes = torch.zeros(1, 1, 6, 6, 3, dtype=torch.uint8)
    codes[..., 1] = NEGATIVE  # slice 1 labelled without blood; slices 0 and 2 not labelled
    before, after = torch.softmax(logits, dim=1), _one_step(logits, codes)
    assert (after[:, 0, ..., 1] > before[:, 0, ..., 1]).all()
    torch.testing.assert_close(after[..., 0], before[..., 0])  # an unlabelled slice gets no signal
    torch.testing.assert_close(after[..., 2], before[..., 2])


def test_a_positive_slice_raises_its_type_where_it_is_most_likely():
    logits = torch.zeros(1, 7, 4, 4, 2)
    logits[0, 2, 1, 1, 0] = 1.0  # the most IVH-like voxel of slice 0
    codes = torch.zeros(1, 1, 4, 4, 2, dtype=torch.uint8)
    codes[..., 0] = POSITIVE_BASE + (1 << 1)  # slice 0 shows IVH (label 2)
    before, after = torch.softmax(logits, dim=1), _one_step(logits, codes)
    assert after[0, 2, 1, 1, 0] > before[0, 2, 1, 1, 0]
    assert torch.equal(after[0, :, 0, 0, 0], before[0, :, 0, 0, 0])  # only the max voxel moves (MIL)


def test_nothing_labelled_gives_no_loss():
    assert float(weak_slice_loss(torch.randn(2, 7, 4, 4, 2), torch.zeros(2, 1, 4, 4, 2, dtype=torch.uint8))) == 0.0


def test_the_codes_follow_the_slices_onto_the_model_grid(tmp_path):
    image = np.full((20, 20, 6), 30, np.int16)
    affine = np.diag([-1.0, -1.0, 5.0, 1.0])  # LPS-like storage: the reader turns it to RAS
    write_nifti(Volume(image, affine), tmp_path / "weak_0000.nii.gz")
    with open(tmp_path / "slice_labels.csv", "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=["case", "slice", "IPH", "IVH", "SAH", "SDH", "EDH", "PHE", "any"])
        writer.writeheader()
        for k in range(6):
            present = k == 4
            writer.writerow({"case": "weak", "slice": k, "IPH": int(present), "IVH": 0, "SAH": 0, "SDH": 0,
                             "EDH": 0, "PHE": 0, "any": int(present)})
    codes = read_slice_codes(tmp_path / "slice_labels.csv")
    assert codes["weak"][4] == POSITIVE_BASE + 1 and codes["weak"][0] == NEGATIVE
    [case] = load_unlabelled_cases([UnlabelledImage("weak", tmp_path / "weak_0000.nii.gz")], (1.0, 1.0, 5.0),
                                   {"scheme": "windows", "windows": "rgb3"}, slice_codes=codes)
    per_slice = [np.unique(case.labels[..., k]).tolist() for k in range(case.labels.shape[2])]
    assert per_slice == [[1], [1], [1], [1], [POSITIVE_BASE + 1], [1]]


@pytest.mark.parametrize("row, code", [({"any": "1", "SDH": "1"}, POSITIVE_BASE + 8), ({"any": ""}, 0)])
def test_slice_codes(row, code):
    assert slice_code(row) == code
