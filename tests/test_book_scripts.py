"""The book's chapter code, each edition as one plain script in a fresh interpreter, with and without MPLBACKEND=Agg.

Readers copy the book's code into .py files, and servers and CI set MPLBACKEND=Agg. A run fails on a
non-zero exit and on any traceback or "Exception ignored" (an error at interpreter exit) in stderr.

Each script is the chapter's MXNet code with the import changed as the README says: 3.5-3.7 of 0.8 and
0.17 (`mxnet.np`), 4.2-4.5 of 1.0 (4.3 only saves helpers into d2l), shortened to run in seconds:
- one epoch instead of ten (`num_epochs = 1`, `max_epochs=1`), two for 3.6, whose plot needs two
  points on its x axis (`xlim=[1, num_epochs]`);
- lines that only show a value in a notebook (`len(mnist_train), len(mnist_test)`), the code that only
  times the loader (a full pass with per-image transforms in 4 worker processes, 3 to 6 s of CPU each) and
  the sections' demonstrations on toy tensors are left out;
- helpers that a section saves into the d2l package (`#@save`) come from the package, except where their
  own code is what runs: the data pipelines of 3.5 and 4.2 on gluon's `FashionMNIST` with worker
  processes, and 3.6's `train_ch3`, which draws live curves with the book's `Animator` (saved as is in
  d2l 1.0.3);
- 1.0's two models are those of `test_editions.py`;
- in 0.x the dataset section (3.5) runs last, so that its `DataLoader(num_workers=4)`s are still alive
  when the script ends, as when 3.5 runs alone.
"""
import inspect
import os
import subprocess
import sys

import pytest

import test_editions

SCRATCH_08 = '''
def softmax(X):
    X_exp = np.exp(X)
    partition = X_exp.sum(axis=1, keepdims=True)
    return X_exp / partition  # The broadcast mechanism is applied here

def net(X):
    return softmax(np.dot(X.reshape(-1, num_inputs), W) + b)

def cross_entropy(y_hat, y):
    return - np.log(y_hat[range(len(y_hat)), y])
'''

SCRATCH_017 = '''
def softmax(X):
    X_exp = d2l.exp(X)
    partition = d2l.reduce_sum(X_exp, 1, keepdims=True)
    return X_exp / partition  # The broadcasting mechanism is applied here

def net(X):
    return softmax(d2l.matmul(d2l.reshape(X, (-1, W.shape[0])), W) + b)

def cross_entropy(y_hat, y):
    return - d2l.log(y_hat[range(len(y_hat)), y])
'''

CHAPTER_0X = '''
import sys
{import_line}
from d2l_ext.mxnet import Animator
from mxnet import gluon, init, np, npx
from mxnet.gluon import nn
npx.set_np()

# 3.6 from scratch
batch_size = 256
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
num_inputs = 784
num_outputs = 10
W = np.random.normal(0, 0.01, (num_inputs, num_outputs))
b = np.zeros(num_outputs)
W.attach_grad()
b.attach_grad()
{scratch}
def train_ch3(net, train_iter, test_iter, loss, num_epochs, updater):
    animator = Animator(xlabel='epoch', xlim=[1, num_epochs], ylim=[0.3, 0.9],
                        legend=['train loss', 'train acc', 'test acc'])
    for epoch in range(num_epochs):
        train_metrics = d2l.train_epoch_ch3(net, train_iter, loss, updater)
        test_acc = d2l.evaluate_accuracy(net, test_iter)
        animator.add(epoch + 1, train_metrics + (test_acc,))

num_epochs, lr = 2, 0.1

def updater(batch_size):
    return d2l.sgd([W, b], lr, batch_size)

train_ch3(net, train_iter, test_iter, cross_entropy, num_epochs, updater)
d2l.predict_ch3(net, test_iter)

# 3.7 concise
net = nn.Sequential()
net.add(nn.Dense(10))
net.initialize(init.Normal(sigma=0.01))
loss = gluon.loss.SoftmaxCrossEntropyLoss()
trainer = gluon.Trainer(net.collect_params(), 'sgd', {{'learning_rate': 0.1}})
num_epochs = 1
d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, trainer)

# 3.5 the data set
d2l.use_svg_display()
mnist_train = gluon.data.vision.FashionMNIST(train=True)
mnist_test = gluon.data.vision.FashionMNIST(train=False)
X, y = mnist_train[:18]
d2l.show_images(X.squeeze(axis=-1), 2, 9, titles=d2l.get_fashion_mnist_labels(y))

def get_dataloader_workers():  #@save
    """Use 4 processes to read the data except for Windows."""
    return 0 if sys.platform.startswith('win') else 4

def load_data_fashion_mnist(batch_size, resize=None):  #@save
    """Download the Fashion-MNIST dataset and then load it into memory."""
    dataset = gluon.data.vision
    trans = [dataset.transforms.ToTensor()]
    if resize:
        trans.insert(0, dataset.transforms.Resize(resize))
    trans = dataset.transforms.Compose(trans)
    mnist_train = dataset.FashionMNIST(train=True).transform_first(trans)
    mnist_test = dataset.FashionMNIST(train=False).transform_first(trans)
    return (gluon.data.DataLoader(mnist_train, batch_size, shuffle=True,
                                  num_workers=get_dataloader_workers()),
            gluon.data.DataLoader(mnist_test, batch_size, shuffle=False,
                                  num_workers=get_dataloader_workers()))

train_iter, test_iter = load_data_fashion_mnist(32, resize=64)
for X, y in train_iter:
    print(X.shape, X.dtype, y.shape, y.dtype)
    break
'''

CHAPTER_10 = '''
from d2l_ext import mxnet as d2l
from mxnet import gluon, np, npx
from mxnet.gluon import nn
from mxnet.gluon.data.vision import transforms
npx.set_np()

# 4.2 the data set
d2l.use_svg_display()

class FashionMNIST(d2l.DataModule):  #@save
    """The Fashion-MNIST dataset."""
    def __init__(self, batch_size=64, resize=(28, 28)):
        super().__init__()
        self.save_hyperparameters()
        trans = transforms.Compose([transforms.Resize(resize),
                                    transforms.ToTensor()])
        self.train = gluon.data.vision.FashionMNIST(
            train=True).transform_first(trans)
        self.val = gluon.data.vision.FashionMNIST(
            train=False).transform_first(trans)

data = FashionMNIST(resize=(32, 32))

@d2l.add_to_class(FashionMNIST)  #@save
def get_dataloader(self, train):
    data = self.train if train else self.val
    return gluon.data.DataLoader(data, self.batch_size, shuffle=train,
                                 num_workers=self.num_workers)

X, y = next(iter(data.train_dataloader()))
print(X.shape, X.dtype, y.shape, y.dtype)

@d2l.add_to_class(FashionMNIST)  #@save
def text_labels(self, indices):
    """Return text labels."""
    labels = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat',
              'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot']
    return [labels[int(i)] for i in indices]

@d2l.add_to_class(FashionMNIST)  #@save
def visualize(self, batch, nrows=1, ncols=8, labels=[]):
    X, y = batch
    if not labels:
        labels = self.text_labels(y)
    d2l.show_images(X.squeeze(1), nrows, ncols, titles=labels)

batch = next(iter(data.val_dataloader()))
data.visualize(batch)

# 4.4 from scratch, 4.5 concise (the models of test_editions.py)
{models}
data = d2l.FashionMNIST(batch_size=256)
model = SoftmaxRegressionScratch(num_inputs=784, num_outputs=10, lr=0.1)
trainer = d2l.Trainer(max_epochs=1)
trainer.fit(model, data)

X, y = next(iter(data.val_dataloader()))
preds = d2l.argmax(model(X), axis=1)
wrong = d2l.astype(preds, y.dtype) != y
X, y, preds = X[wrong], y[wrong], preds[wrong]
labels = [a+'\\n'+b for a, b in zip(
    data.text_labels(y), data.text_labels(preds))]
data.visualize([X, y], labels=labels)

data = d2l.FashionMNIST(batch_size=256)
model = SoftmaxRegression(num_outputs=10, lr=0.1)
trainer = d2l.Trainer(max_epochs=1)
trainer.fit(model, data)
'''

SCRIPTS = {
    '0.8': CHAPTER_0X.format(import_line='import d2l_ext as d2l', scratch=SCRATCH_08),
    '0.17': CHAPTER_0X.format(import_line='from d2l_ext import mxnet as d2l', scratch=SCRATCH_017),
    '1.0': CHAPTER_10.format(models='\n'.join(inspect.getsource(model) for model in (
        test_editions.SoftmaxRegressionScratch, test_editions.SoftmaxRegression))),
}

BATCH_SHAPES = {'0.8': '(32, 1, 64, 64)', '0.17': '(32, 1, 64, 64)', '1.0': '(64, 1, 32, 32)'}


@pytest.mark.parametrize('backend', [None, 'Agg'], ids=['MPLBACKEND unset', 'MPLBACKEND=Agg'])
@pytest.mark.parametrize('edition', SCRIPTS)
def test_the_book_chapter_runs_as_a_plain_script(edition, backend, real_data_dir, tmp_path):
    env = {name: value for name, value in os.environ.items() if name != 'MPLBACKEND'}
    env['FASHION_MNIST_DIR'] = str(real_data_dir)
    if backend:
        env['MPLBACKEND'] = backend
    script = tmp_path / f'chapter_{edition}.py'
    script.write_text(SCRIPTS[edition])
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    assert 'Traceback' not in result.stderr and 'Exception ignored' not in result.stderr, result.stderr[-4000:]
    assert BATCH_SHAPES[edition] in result.stdout  # printed by the dataset section
