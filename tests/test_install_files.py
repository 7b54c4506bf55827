"""The install files lock every package, and this environment is the locked one."""
import re
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

TOP = Path(__file__).resolve().parents[1]
PIN = re.compile(r'([A-Za-z0-9][A-Za-z0-9_.\-]*)==([0-9][0-9A-Za-z.+!]*)')
INSTALL_HINT = 'run `pip install -r requirements.txt` in this environment'


def requirement_lines(name):
    """The non-comment lines of a requirements file, without trailing comments."""
    lines = (TOP / name).read_text().splitlines()
    return [line.split('#')[0].strip() for line in lines if line.split('#')[0].strip()]


def lock():
    """{canonical name: version} of requirements.lock; every line must be an exact pin."""
    pins = {}
    for line in requirement_lines('requirements.lock'):
        match = PIN.fullmatch(line)
        assert match, f'requirements.lock: {line!r} is not an exact pin'
        pins[canonicalize_name(match[1])] = match[2]
    return pins


def test_requirements_txt_installs_the_lock_and_this_project():
    assert requirement_lines('requirements.txt') == ['-c requirements.lock', '-r requirements.in', '-e .']


def test_every_direct_requirement_is_locked_at_its_pin():
    pins = lock()
    for line in requirement_lines('requirements.in'):
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in pins, f'{requirement.name} is in requirements.in but not in requirements.lock'
        assert requirement.specifier.contains(pins[name]), f'{line} but the lock has {pins[name]}'


def test_lock_holds_every_dependency_of_its_packages():
    """Closed under dependencies: nothing the locked packages need can float."""
    pins = lock()
    project = metadata.distribution('d2l-ext').requires or []
    for name in [*pins, 'd2l-ext']:
        needs = project if name == 'd2l-ext' else metadata.distribution(name).requires or []
        for need in map(Requirement, needs):
            if need.marker is None or need.marker.evaluate({'extra': ''}):
                assert canonicalize_name(need.name) in pins, f'{name} needs {need.name}, which is not locked'


def installed_version(name):
    """The version of `name` installed here, or None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def test_installed_versions_are_the_locked_ones():
    wrong = {name: (installed_version(name), version) for name, version in lock().items()
             if installed_version(name) != version}
    assert not wrong, f'installed vs locked: {wrong}; {INSTALL_HINT}'


def test_environment_yml_installs_requirements_txt_on_python_311():
    text = (TOP / 'environment.yml').read_text()
    assert re.search(r'^\s+- python=3\.11$', text, re.M)
    assert re.search(r'^\s+- pip:\n\s+- -r requirements\.txt\n?\Z', text, re.M)
