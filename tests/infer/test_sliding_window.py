import numpy as np
import torch

from ichseg.infer.sliding_window import predict_probabilities, slices_with_context


class Threshold(torch.nn.Module):
    """Class 1 where the (first) channel is positive: a model whose answer is known."""

    def forward(self, x):
        first = x[:, :1]
        return torch.cat([-first, first], dim=1) * 10


def test_3d_prediction_matches_the_known_answer():
    volume = np.random.default_rng(0).normal(size=(1, 40, 36, 10)).astype(np.float32)
    probabilities = predict_probabilities(Threshold(), volume, patch_size=(16, 16, 8))
    assert probabilities.shape == (2, 40, 36, 10)
    np.testing.assert_array_equal(probabilities.argmax(0), volume[0] > 0)


def test_2d_and_2p5d_predict_slice_by_slice():
    volume = np.random.default_rng(1).normal(size=(1, 20, 20, 6)).astype(np.float32)
    plain = predict_probabilities(Threshold(), volume, patch_size=(16, 16))
    np.testing.assert_array_equal(plain.argmax(0), volume[0] > 0)

    class Centre(torch.nn.Module):  # 2.5D: looks at the centre of three stacked slices
        def forward(self, x):
            return Threshold()(x[:, 1:2])

    context = predict_probabilities(Centre(), volume, patch_size=(16, 16), context_slices=1)
    np.testing.assert_array_equal(context.argmax(0), volume[0] > 0)


def test_context_slices_are_neighbours_and_the_nearest_slice_stands_in_for_a_missing_one():
    volume = np.arange(4.0).reshape(1, 1, 1, 4) + 10
    stacked = slices_with_context(volume, 1)
    assert stacked[:, :, 0, 0].tolist() == [[10, 10, 11], [10, 11, 12], [11, 12, 13], [12, 13, 13]]
    single = slices_with_context(volume[..., 2:3], 2)  # one exported slice: it is its own neighbours
    assert single[:, :, 0, 0].tolist() == [[12, 12, 12, 12, 12]]


def test_flip_tta_averages_flipped_passes():
    class LeftBias(torch.nn.Module):  # not flip-equivariant: favours low x indices
        def forward(self, x):
            ramp = torch.linspace(1, -1, x.shape[2]).reshape(1, 1, -1, 1, 1)
            return torch.cat([torch.zeros_like(x[:, :1]), ramp.expand_as(x[:, :1])], dim=1)

    volume = np.zeros((1, 16, 16, 4), np.float32)
    plain = predict_probabilities(LeftBias(), volume, patch_size=(16, 16, 4))
    averaged = predict_probabilities(LeftBias(), volume, patch_size=(16, 16, 4), flip_axes=[(0,)])
    assert plain[1, 0].mean() > plain[1, -1].mean()
    np.testing.assert_allclose(averaged[1], 0.5, atol=1e-3, rtol=0)


def test_inference_stacks_slices_exactly_as_training_does():
    from ichseg.data.sampling import PatchSampler, TrainingCase

    rng = np.random.default_rng(2)
    channels = rng.normal(size=(2, 12, 10, 5)).astype(np.float32)
    labels = np.zeros((12, 10, 5), np.uint8)
    labels[6, 5, 3] = 1  # the only foreground voxel: the training patch is centred on it
    case = TrainingCase.build("a", channels, labels)
    sample = PatchSampler([case], patch_size=(12, 10, 1), context_slices=1, foreground_probability=1.0).sample(0)
    stacked = slices_with_context(channels, 1)[3]
    np.testing.assert_array_equal(sample["image"], stacked)


def test_whole_slice_windows_match_monai_sliding_window():
    from monai.inferers import sliding_window_inference

    torch.manual_seed(3)
    network = torch.nn.Conv2d(3, 2, 5, padding=2).eval()  # zero-padded convolution: sees where the pad went
    volume = np.random.default_rng(3).normal(size=(1, 21, 26, 3)).astype(np.float32)
    probabilities = predict_probabilities(network, volume, patch_size=(32, 32), context_slices=1, batch_size=2)
    slices = torch.from_numpy(slices_with_context(volume, 1))
    with torch.no_grad():
        logits = sliding_window_inference(slices, (32, 32), 2, network, overlap=0.0, cval=float(volume.min()))
    expected = torch.softmax(logits.permute(1, 2, 3, 0), dim=0)
    np.testing.assert_allclose(probabilities, expected.numpy(), atol=1e-6, rtol=0)
