"""MXNet's two array APIs: legacy `NDArray` (the book's 0.5-0.6) and `mxnet.np` (`npx.set_np()`, 0.7 on).

Conversions share memory (no copy), so the loader can hand out whichever API is active while the
metrics keep running on `nd` operators, with the same numbers either way.
"""
from mxnet import numpy as mnp
from mxnet import npx


def as_np(x):
    """`x` as an `mxnet.np` array."""
    return x if isinstance(x, mnp.ndarray) else x.as_np_ndarray()


def as_legacy(x):
    """`x` as a legacy `NDArray`."""
    return x.as_nd_ndarray() if isinstance(x, mnp.ndarray) else x


def as_active(x):
    """`x` in the API user code expects now: `mxnet.np` when `npx.is_np_array()`, else `NDArray`."""
    return as_np(x) if npx.is_np_array() else as_legacy(x)
