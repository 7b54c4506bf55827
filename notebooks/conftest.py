"""nbval settings shared by every notebook in this folder, whatever folder pytest starts in."""
from pathlib import Path

SANITIZE_FILE = Path(__file__).resolve().with_name('sanitize.cfg')


def pytest_collectstart(collector):
    """Compare with this folder's sanitize file, and never compare SVG figures as text (matplotlib
    writes a date and random ids into every SVG)."""
    if hasattr(collector, 'skip_compare'):  # nbval's notebook collector
        collector.skip_compare += ('image/svg+xml',)
        if collector.config.option.nbval_sanitize_with is None:
            collector.config.option.nbval_sanitize_with = str(SANITIZE_FILE)
