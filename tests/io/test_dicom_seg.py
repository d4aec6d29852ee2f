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


def test_segments_are_the_classes_found_and_empty_frames_are_not_written(ge_volume, tmp_path, recwarn):
    from ichseg.io.dicom_seg import write_dicom_seg

    files = ge_volume.metadata["files"]
    labels = ge_volume.with_array(np.zeros(ge_volume.shape, np.uint8))
    normal = write_dicom_seg(labels, files, tmp_path / "normal.dcm")
    labels.array[200:260, 250:300, 15:18] = 4  # SDH
    labels.array[300:320, 300:320, 20] = 2  # IVH
    found = write_dicom_seg(labels, files, tmp_path / "found.dcm")
    empty, seg = pydicom.dcmread(normal), pydicom.dcmread(found)
    assert len(empty.SegmentSequence) == 1 and int(empty.NumberOfFrames) <= 1
    assert [s.SegmentLabel for s in seg.SegmentSequence] == ["IVH", "SDH"]
    assert [int(s.SegmentNumber) for s in seg.SegmentSequence] == [1, 2]
    assert int(seg.NumberOfFrames) < 2 * len(files)  # only frames that hold a labelled pixel
    assert normal.stat().st_size < 1_000_000
    assert not [w for w in recwarn if "person name" in str(w.message)]
