"""The user's Gluon blocks run as one static graph per minibatch, without hybridizing the user's model.

For the chapter's model every MXNet operator costs about as much Python time as its arithmetic, so
`train_ch3` runs forward, loss and metrics as one cached operator. The graph shares the user's blocks and
their parameters; the blocks themselves are neither hybridized nor changed, and the operators are the ones
the imperative code runs, so the numbers are the same.
"""
from mxnet import gluon
from mxnet.gluon import nn


def count_correct(y_hat, y):
    """Number of rows of `y_hat` whose largest entry is at the label `y`. Array methods only, which
    NDArray, Symbol and their `mxnet.np` twins share, so the same line runs in and out of a graph."""
    return (y_hat.argmax(axis=1).astype('float32') == y.astype('float32')).sum()


class _Graph(gluon.HybridBlock):
    """A statically allocated graph of the user's `layers` in turn, then `head(loss, y_hat, y)`."""

    def __init__(self, layers, head, loss=None):
        super().__init__()
        self.hybridize(static_alloc=True, static_shape=True)  # while childless: the user's blocks stay imperative
        for i, layer in enumerate(layers):
            self.register_child(layer, f'layer{i}')
        self.num_layers, self.head = len(layers), head
        if loss is not None:
            self.register_child(loss, 'loss')

    def hybrid_forward(self, F, X, y):
        y_hat = X
        for i in range(self.num_layers):
            y_hat = self._children[f'layer{i}'](y_hat)
        return self.head(self._children.get('loss'), y_hat, y)


def _train_head(loss, y_hat, y):
    l = loss(y_hat, y)
    return l, l.sum(), count_correct(y_hat, y)


def _eval_head(loss, y_hat, y):
    return count_correct(y_hat, y)


def _has_hooks(block):
    """Whether `block` or a block inside it has forward hooks, which a graph would run only once, when
    it is built, instead of on every batch."""
    hooked = []
    block.apply(lambda inner: hooked.append(bool(inner._forward_hooks or inner._forward_pre_hooks)))
    return any(hooked)


def _layers(net):
    """The blocks that make up `net` in order, or None when it cannot run inside a graph unchanged."""
    if isinstance(net, gluon.HybridBlock):
        layers = [net]
    elif type(net) is nn.Sequential:  # its forward is exactly "each child in turn"
        layers = list(net._children.values())
    else:
        return None
    if _has_hooks(net) or not all(isinstance(layer, gluon.HybridBlock) for layer in layers):
        return None
    return layers


class CompiledModel:
    """`train(X, y)` -> (per-example loss, loss sum, correct count) and `evaluate(X, y)` -> correct count,
    each one cached operator; `compile_model` returns None for a model that must stay imperative."""

    def __init__(self, layers, loss):
        self.train = _Graph(layers, _train_head, loss)
        self.evaluate = _Graph(layers, _eval_head)


def compile_model(net, loss):
    """A `CompiledModel` of a Gluon `net` and `loss`, or None for anything else (plain functions, hooks,
    non-hybrid layers). Either array API works: the graph follows the one active when it first runs."""
    layers = _layers(net)
    if layers is None or not isinstance(loss, gluon.HybridBlock) or _has_hooks(loss):
        return None
    return CompiledModel(layers, loss)
