"""requirements.txt and environment.yml must install the same, fully pinned environment."""
import re
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]


def requirement_lines(text):
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith('#')]


def pip_section_of_environment_yml():
    """The entries under `- pip:` in environment.yml (a plain parser: PyYAML is not a dependency)."""
    lines = (TOP / 'environment.yml').read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == '- pip:')
    entries = []
    for line in lines[start + 1:]:
        if not line.startswith('      - '):
            break
        entries.append(line.strip()[2:])
    return entries


def test_every_requirement_is_pinned():
    for line in requirement_lines((TOP / 'requirements.txt').read_text()):
        assert line == '-e .' or re.fullmatch(r'[A-Za-z0-9_.\-\[\]]+==[0-9][0-9A-Za-z.]*', line), line


def test_environment_yml_matches_requirements():
    assert pip_section_of_environment_yml() == requirement_lines((TOP / 'requirements.txt').read_text())


def test_environment_yml_uses_python_311():
    assert re.search(r'^\s+- python=3\.11$', (TOP / 'environment.yml').read_text(), re.M)
