"""nbval settings shared by every notebook in this folder."""


def pytest_collectstart(collector):
    """Never compare SVG figures as text: matplotlib writes a date and random ids into every SVG."""
    if hasattr(collector, 'skip_compare'):  # nbval's notebook collector
        collector.skip_compare += ('image/svg+xml',)
