"""`python -m d2l_ext train ...` runs the same command line as the `d2l-ext` script."""
import sys

from .cli import main

if __name__ == '__main__':
    sys.exit(main(prog='python -m d2l_ext'))
