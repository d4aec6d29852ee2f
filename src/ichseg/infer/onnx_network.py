"""A bundle's 2D network as an ONNX graph, run by ONNX Runtime on the CPU.

Why: a one-scan ``ichseg predict`` on a laptop is mostly start-up. Importing torch takes
about 1.5 s on 2 cores, ONNX Runtime about 0.1 s, and ONNX Runtime runs the bundled
network on 30 slices of 256x320 at least as fast as torch (0.36 s against 0.39-0.42 s
in float32 and 0.39-0.41 s in bfloat16 autocast, ``benchmarks/predict_bench.py``). So on
the CPU the whole predict path -- reading, the network, post-processing, outputs -- runs
without torch whenever the bundle has ``model.onnx`` and ``onnxruntime`` is installed;
otherwise the network is built from the weights.

Trust: an ONNX file is a graph of standard operators and their tensors (protobuf data);
ONNX Runtime runs no code from it, so any bundle's graph may be used once its SHA-256
matches ``bundle.json``. The graph is loaded from the checked bytes, never re-read.

Example:
    >>> import torch
    >>> from ichseg.models.network_spec import NetworkSpec
    >>> spec = NetworkSpec(model="unet", spatial_dims=2, in_channels=1, out_channels=7, patch_size=(32, 32),
    ...                    spacing=(1.0, 1.0, 5.0), normalization={"scheme": "windows", "windows": "brain"},
    ...                    options={"channels": [4, 8], "strides": [2]})
    >>> _ = torch.manual_seed(0)
    >>> network = spec.build().eval()
    >>> runner = OnnxNetwork(onnx_graph(network, spec))
    >>> runner(np.zeros((2, 1, 64, 32), np.float32)).shape
    (2, 7, 64, 32)
"""

from __future__ import annotations

import importlib.util
import io
import warnings
from typing import TYPE_CHECKING

import numpy as np

from ..device import cpu_threads

if TYPE_CHECKING:
    import torch

    from ..models.network_spec import NetworkSpec

ONNX_FILE = "model.onnx"
OPSET = 17


def onnx_runtime_available() -> bool:
    """Whether ``onnxruntime`` can be imported (without importing it)."""
    return importlib.util.find_spec("onnxruntime") is not None


class OnnxNetwork:
    """Call an ONNX graph like the network: ``(N, C, X, Y)`` float32 slices -> logits.

    Args:
        graph: the ``model.onnx`` bytes.
        threads: intra-operator threads (default: every core this process may use).
        source: named in the error of a graph ONNX Runtime cannot load.

    Raises:
        ValueError: the bytes are not a graph ONNX Runtime can run.
    """

    def __init__(self, graph: bytes, *, threads: int | None = None, source: str = ONNX_FILE) -> None:
        import onnxruntime  # noqa: PLC0415  (only where a graph is run)

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or cpu_threads()
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only: its warnings are about graph rewrites
        try:
            self.session = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        except Exception as error:  # noqa: BLE001  (onnxruntime raises its own exception classes)
            raise ValueError(f"{source}: not a graph ONNX Runtime can run "
                             f"({type(error).__name__}: {str(error).splitlines()[0][:200]})") from None
        self.input_name = self.session.get_inputs()[0].name
        self.threads = options.intra_op_num_threads

    def __call__(self, slices: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input_name: np.ascontiguousarray(slices, dtype=np.float32)})[0]


def onnx_graph(network: torch.nn.Module, spec: NetworkSpec, *, size_multiple: int = 32) -> bytes:
    """A 2D ``network`` (eval mode) as ONNX bytes taking any batch of slices whose sides
    are multiples of ``size_multiple``.

    The export records one run; a network whose operations depend on the input's size
    would be recorded wrongly, so the graph is run by ONNX Runtime on a second batch and
    slice size and refused (``ValueError``) unless it gives the network's own output.
    """
    import torch  # noqa: PLC0415

    if spec.spatial_dims != 2:
        raise ValueError("only 2D networks are exported as ONNX graphs")
    generator = torch.Generator().manual_seed(0)
    example = torch.randn(2, spec.in_channels, 4 * size_multiple, 5 * size_multiple, generator=generator)
    other = torch.randn(3, spec.in_channels, 6 * size_multiple, 3 * size_multiple, generator=generator)
    axes = {0: "slices", 2: "x", 3: "y"}
    stream = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript-based exporter announces its deprecation
        torch.onnx.export(network, (example,), stream,  # type: ignore[arg-type]  # a file object, as documented
                          input_names=["slices"], output_names=["logits"],
                          dynamic_axes={"slices": axes, "logits": axes}, opset_version=OPSET, dynamo=False)
        expected = network(other).numpy()
    graph = stream.getvalue()
    if onnx_runtime_available():
        found = OnnxNetwork(graph)(other.numpy())
        if found.shape != expected.shape or not np.allclose(found, expected, atol=1e-3, rtol=1e-4, equal_nan=True):
            raise ValueError("the ONNX graph does not reproduce the network on another input size")
    return graph
