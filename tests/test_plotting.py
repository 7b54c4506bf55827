"""Figures of d2l_ext that the notebooks share."""
import numpy as np
import pytest
from d2l import mxnet as d2l_mxnet
from matplotlib import pyplot as plt
from mxnet import nd
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

import d2l_ext as d2l
from d2l_ext import mxnet as d2l_ext_mxnet


def test_show_weights_draws_each_class_on_one_scale_symmetric_around_zero():
    weights = nd.array(np.linspace(-3, 1, 7840, dtype=np.float32).reshape(10, 784))
    axes = d2l.show_weights(weights)
    try:
        images = [ax.get_images()[0] for ax in axes.flat]
        assert [ax.get_title() for ax in axes.flat] == d2l.get_fashion_mnist_labels(range(10))
        assert all(image.get_clim() == (-3.0, 3.0) for image in images)  # white is exactly 0
        np.testing.assert_array_equal(images[9].get_array(), weights[9].asnumpy().reshape(28, 28))
    finally:
        plt.close(axes.flat[0].figure)


def test_use_svg_display_is_one_function_for_both_imports_and_for_d2l_own_figures():
    assert d2l.use_svg_display is d2l_ext_mxnet.use_svg_display is d2l_mxnet.use_svg_display


@pytest.mark.parametrize('backend', [None, 'Agg'], ids=['MPLBACKEND unset', 'MPLBACKEND=Agg'])
def test_use_svg_display_still_gives_svg_figures_in_jupyter(backend, monkeypatch):
    """In a kernel, d2l's own `set_figsize` (which calls `use_svg_display`) turns the inline PNG into SVG."""
    if backend:
        monkeypatch.setenv('MPLBACKEND', backend)
    else:
        monkeypatch.delenv('MPLBACKEND', raising=False)
    figure = 'd2l.plt.plot([1, 2])\nd2l.plt.show()'
    nb = new_notebook(cells=[new_code_cell(f'%matplotlib inline\nfrom d2l_ext import mxnet as d2l\n{figure}'),
                             new_code_cell(f'd2l.set_figsize()\n{figure}')])
    NotebookClient(nb, timeout=120, kernel_name='python3').execute()
    before, after = ({key for output in cell.outputs for key in output.get('data', {})} for cell in nb.cells)
    assert 'image/png' in before and 'image/svg+xml' not in before
    assert 'image/svg+xml' in after and 'image/png' not in after
