"""Figures of d2l_ext that the notebooks share."""
import numpy as np
from matplotlib import pyplot as plt
from mxnet import nd

import d2l_ext as d2l


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
