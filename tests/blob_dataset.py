"""A tiny labelled dataset for training tests: bright blobs in a water-like head (30 HU)
with air around, 5 mm slices, in the dataset format. IPH blobs are 70 HU, SDH blobs 95 HU,
so intensity alone tells the classes apart and a tiny network can learn them in seconds."""

import numpy as np

from ichseg.data.dataset_format import DatasetWriter, dataset_json
from ichseg.io import Volume


def write_blob_dataset(root, n_cases=6, shape=(48, 48, 12), spacing=(1.0, 1.0, 5.0), seed=0):
    rng = np.random.default_rng(seed)
    writer = DatasetWriter(root)
    grid = np.indices(shape).astype(np.float32)
    affine = np.diag([*spacing, 1.0])
    for k in range(n_cases):
        head = ((grid[0] - shape[0] / 2) ** 2 + (grid[1] - shape[1] / 2) ** 2) < (0.45 * shape[0]) ** 2
        image = np.where(head, 30.0, -1000.0) + rng.normal(0, 5, shape)
        labels = np.zeros(shape, np.uint8)
        for value in (1, 4) if k % 3 else (1,):
            centre = rng.uniform([14, 14, 3], [shape[0] - 14, shape[1] - 14, shape[2] - 3])
            radius = rng.uniform(5, 8)
            blob = (((grid[0] - centre[0]) ** 2 + (grid[1] - centre[1]) ** 2) / radius**2
                    + ((grid[2] - centre[2]) * spacing[2] / spacing[0]) ** 2 / radius**2) < 1
            labels[blob & head] = value
        for value, hu in ((1, 70.0), (4, 95.0)):
            image[labels == value] = hu + rng.normal(0, 5, int((labels == value).sum()))
        writer.write_labelled(f"blob_{k:03d}", Volume(image.astype(np.int16), affine),
                              Volume(labels, affine.copy()))
    writer.write_description(dataset_json("blobs", n_cases))
    return root

