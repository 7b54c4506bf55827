"""Argument checks shared by the loader, the training loop, the models and the command lines."""
import argparse
import math
import numbers


def check_positive_int(name, value):
    """Reject anything but a positive whole number, naming the argument."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f'{name} must be a positive integer, got {value!r}')


def check_positive(name, value):
    """Reject anything but a finite number above 0 (a learning rate, say)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < math.inf:
        raise ValueError(f'{name} must be a positive finite number, got {value!r}')


def check_non_negative(name, value):
    """Reject anything but a finite number of 0 or more (a weight decay, say)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < math.inf:
        raise ValueError(f'{name} must be a non-negative finite number, got {value!r}')


def check_seed(name, value):
    """Seeds are what numpy accepts: whole numbers from 0 to 2**32 - 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= value < 2**32:
        raise ValueError(f'{name} must be a whole number from 0 to 2**32 - 1, got {value!r}')


def argparse_type(parse, check):
    """An argparse `type=`: parse the text, then apply the same check the library makes."""
    def convert(text):
        try:
            value = parse(text)
            check('value', value)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
        return value
    return convert
