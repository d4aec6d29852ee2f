import numpy as np
import pydicom

from ichseg.io.dicom_seg import labels_on_source_slice


def test_labels_land_on_the_source_pixels(ge_volume):
    # label the bone of the tilt-corrected volume; sampled back onto each original slice it
    # must cover that slice's own bone pixels (geometry through tilt removal and gap resampling)
    labels = ge_volume.with_array((ge_volume.array > 400).astype(np.uint8))
    files = ge_volume.metadata["files"]
    agreements = []
    for file in files[::5]:
        dataset = pydicom.dcmread(file)
        hu = dataset.pixel_array * float(dataset.RescaleSlope) + float(dataset.RescaleIntercept)
        bone = hu > 400
        sampled = labels_on_source_slice(labels, dataset).astype(bool)
        agreements.append(2 * (sampled & bone).sum() / (sampled.sum() + bone.sum()))
    assert min(agreements) > 0.8, agreements
