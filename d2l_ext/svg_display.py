"""`d2l.use_svg_display()` that a plain script can call too, under any `MPLBACKEND`.

d2l's `use_svg_display` hands 'svg' to matplotlib-inline's `set_matplotlib_formats`, which registers it
with `InteractiveShell.instance()` and so, in a plain script, creates an IPython shell. When pyplot
(matplotlib 3.7) loads its backend, it connects to any IPython shell it finds and imports `backend2gui`
from IPython, a name IPython 9.16 removed: the script's first figure raises ImportError. Without
`MPLBACKEND`, pyplot happens to load its backend while d2l is imported, before that shell exists, so
only a set `MPLBACKEND` (Agg on servers and CI) showed it. `install` makes every caller, d2l's own
figures included, create no shell where none runs.
"""
from d2l import mxnet as d2l
from IPython import get_ipython

_d2l_use_svg_display = d2l.use_svg_display


def use_svg_display():
    """Show figures as SVG in Jupyter and IPython, as d2l does; in a plain script, which displays no
    figure inline, leave IPython alone."""
    if get_ipython() is not None:
        _d2l_use_svg_display()


def install():
    """Point d2l's own callers (`set_figsize`, `plot`, `Animator`, 1.0's `ProgressBoard`) here too: they
    look `use_svg_display` up in `d2l.mxnet` when they draw."""
    d2l.use_svg_display = use_svg_display
