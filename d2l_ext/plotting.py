"""Figures for the chapter: image grids and training curves that update in place in Jupyter."""
from d2l.mxnet import set_axes
from matplotlib import pyplot as plt  # noqa: F401  (registers Jupyter's inline figure display)
from matplotlib.figure import Figure

from .fashion_mnist import TEXT_LABELS


def in_notebook():
    """True inside a Jupyter kernel, where live figures can be displayed."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return getattr(get_ipython(), 'kernel', None) is not None


def _as_numpy(x):
    return x.asnumpy() if hasattr(x, 'asnumpy') else x


def show_images(imgs, num_rows, num_cols, titles=None, scale=1.5):
    """Draw images (NDArray or numpy, each H x W) in a grid with optional titles; returns the axes."""
    _, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale), squeeze=False)
    for i, (ax, img) in enumerate(zip(axes.flat, _as_numpy(imgs))):
        ax.imshow(img, cmap='gray_r' if img.ndim == 2 else None)
        ax.axis('off')
        if titles:
            ax.set_title(titles[i], fontsize=9)
    return axes


def show_fashion_mnist(images, labels):
    """The book's 3.5 helper: one row of 28 x 28 images titled with their text labels."""
    show_images(_as_numpy(images).reshape(-1, 28, 28), 1, len(labels), titles=labels)


def show_weights(weights):
    """The (10, 784) weights of a linear classifier as ten 28 x 28 images, one per class, on one scale
    symmetric around 0 (red raises the class's score, blue lowers it, white is no effect); returns the axes."""
    images = _as_numpy(weights).reshape(10, 28, 28)
    limit = abs(images).max()
    _, axes = plt.subplots(2, 5, figsize=(10, 4.4))
    for ax, image, name in zip(axes.flat, images, TEXT_LABELS):
        shown = ax.imshow(image, cmap='RdBu_r', vmin=-limit, vmax=limit)
        ax.set_title(name)
        ax.axis('off')
    plt.colorbar(shown, ax=axes, shrink=0.8, label='weight')
    return axes


def plot_history(history, ax=None):
    """Draw loss, train accuracy and test accuracy per epoch of a `History` on `ax` (or a new figure)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(3.5, 2.5))
    epochs = [row.epoch for row in history]
    ax.cla()
    ax.plot(epochs, [row.loss for row in history], '-')
    ax.plot(epochs, [row.train_acc for row in history], 'm--')
    ax.plot(epochs, [row.test_acc for row in history], 'g-.')
    set_axes(ax, 'epoch', None, [1, max(epochs[-1], 2)], None, 'linear', 'linear',
             ['train loss', 'train acc', 'test acc'])
    return ax


class TrainingPlot:
    """A figure of the training curves shown once and redrawn in place (no clear_output flicker)."""

    def __init__(self, num_epochs):
        from IPython.display import display
        self.figure = Figure(figsize=(3.5, 2.5), layout='tight')
        self.ax = self.figure.add_subplot()
        set_axes(self.ax, 'epoch', None, [1, max(num_epochs, 2)], None, 'linear', 'linear', None)
        self.handle = display(self.figure, display_id=True)

    def update(self, history):
        plot_history(history, self.ax)
        self.handle.update(self.figure)

