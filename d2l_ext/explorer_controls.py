"""The explorer's controls, one per knob of `d2l.sweep`, and the check of their values.

They are number boxes and drop-down lists, not sliders: the browser ties each to its label, so a screen
reader names it by the label and reads its value itself (a slider over a grid reports its position).
"""
import ipywidgets as widgets

from .checks import check_positive_int
from .models import MODELS, TRAIN_SIZE
from .sweep import AXES

CHECKS = {**AXES, 'num_epochs': check_positive_int}
LABELS = {'lr': 'learning rate', 'batch_size': 'batch size', 'num_epochs': 'epochs', 'impl': 'model',
          'weight_decay': 'weight decay', 'seed': 'seed', 'num_train': 'train images'}
BATCH_SIZES = [2 ** power for power in range(4, 13)]
TRAIN_SIZES = [500, 1000, 2000, 5000, 10000, 20000, TRAIN_SIZE]
MAX_EPOCHS = 100


def check_values(values, labelled=False):
    """Raise a ValueError that names the first bad value, by its argument's name or, `labelled`, its control's."""
    for name, value in values.items():
        CHECKS[name](LABELS[name] if labelled else name, value)


def _choices(grid, value):
    """A drop-down list's options: the grid, plus `value` where it is off the grid."""
    return [(str(option), option) for option in sorted({*grid, value})]


def make_controls(values):
    """The controls, in the order of `d2l.sweep`'s arguments, showing `values` (checked already)."""
    kinds = {
        'lr': (widgets.FloatText, {}),  # any positive value; `check_values` rejects the others
        'batch_size': (widgets.Dropdown, {'options': _choices(BATCH_SIZES, values['batch_size'])}),
        'num_epochs': (widgets.BoundedIntText, {'min': 1, 'max': max(MAX_EPOCHS, values['num_epochs'])}),
        'impl': (widgets.Dropdown, {'options': list(MODELS)}),
        'weight_decay': (widgets.FloatText, {}),
        'seed': (widgets.BoundedIntText, {'min': 0, 'max': 2 ** 32 - 1}),
        'num_train': (widgets.Dropdown, {'options': _choices(TRAIN_SIZES, values['num_train'])}),
    }
    return {name: kind(value=values[name], description=LABELS[name], style={'description_width': '100px'},
                       layout={'width': '260px'}, **extra)
            for name, (kind, extra) in kinds.items()}
