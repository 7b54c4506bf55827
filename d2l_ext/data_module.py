"""d2l 1.0's `FashionMNIST` data module on the verified offline files, with d2l_ext's in-memory minibatches."""
from d2l import mxnet as d2l

from .fashion_mnist import cache_dir
from .gluon_dataset import verified_data
from .loader import ArrayLoader


class FashionMNIST(d2l.FashionMNIST):
    """d2l 1.0's `FashionMNIST(batch_size=64, resize=(28, 28))`, offline.

    `train`, `val` (gluon data sets, Resize + ToTensor per example), `text_labels` and `visualize` are
    d2l's own. `get_dataloader` hands out the same files' images in minibatches straight from memory
    instead of transforming each example in worker processes; a resize is bilinear, per batch.
    """

    def get_dataloader(self, train):
        data = verified_data(cache_dir())  # the folder gluon's FashionMNIST reads by default
        images, labels = (data.train_images, data.train_labels) if train else (data.test_images, data.test_labels)
        width, height = (self.resize, self.resize) if isinstance(self.resize, int) else self.resize  # gluon's order
        resize = None if (height, width) == (28, 28) else (height, width)
        return ArrayLoader(images, labels, self.batch_size, shuffle=train, resize=resize)
