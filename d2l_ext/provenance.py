"""What a saved result records besides its numbers: the data release, the software, the CPU and the time."""
import datetime
import functools
import importlib.metadata
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

from .fashion_mnist import CURRENT, CURRENT_SHA256, OLDER_GZ_SHA1

PACKAGES = ('mxnet', 'numpy', 'd2l', 'd2l_ext')
# Environment variables that change which kernels MXNet and oneDNN run, and so the low bits of the results.
NUMERIC_VARIABLES = ('DNNL_MAX_CPU_ISA', 'MKLDNN_MAX_CPU_ISA', 'MXNET_MKLDNN_ENABLED', 'OMP_NUM_THREADS',
                     'MXNET_ENGINE_TYPE', 'OPENBLAS_CORETYPE')
# One small oneDNN operation in a fresh interpreter; with DNNL_VERBOSE=1, oneDNN prints its version and ISA.
ONEDNN_PROBE = ('import mxnet as mx\n'
                'mx.nd.FullyConnected(mx.nd.ones((2, 8)), mx.nd.ones((4, 8)), no_bias=True, num_hidden=4)'
                '.wait_to_read()\n')


def utc_now():
    """The current time in UTC as ISO 8601, to the second: 2026-11-28T09:30:00+00:00."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')


def data_record(data):
    """The release and checksums of the Fashion-MNIST files that `read_fashion_mnist` verified, and their folder.

    The loader accepted the files only if they have these checksums, so they are recorded without hashing the
    60 MB again: SHA-256 of the decompressed bytes for the current release, SHA-1 of the .gz for the older one.
    """
    if data.release == CURRENT:
        checksums = {'algorithm': 'sha256 of the decompressed IDX bytes', 'files': CURRENT_SHA256}
    else:
        checksums = {'algorithm': 'sha1 of the .gz files', 'files': OLDER_GZ_SHA1}
    return {'name': 'Fashion-MNIST', 'release': data.release, 'folder': str(Path(data.folder).resolve()),
            'checksums': checksums}


def environment():
    """The versions of Python and the packages, the CPU, the instruction set oneDNN uses, and the variables
    that change the numbers (those of NUMERIC_VARIABLES that are set)."""
    return {'versions': {'python': platform.python_version(), **{name: _version(name) for name in PACKAGES}},
            'platform': platform.platform(),
            'cpu': cpu_model(),
            'onednn': onednn_info(),
            'variables': {name: os.environ[name] for name in NUMERIC_VARIABLES if name in os.environ}}


def _version(distribution):
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None  # run from a checkout that was never installed


def cpu_model():
    """The CPU's model name from /proc/cpuinfo (Linux), else what `platform` knows."""
    try:
        text = Path('/proc/cpuinfo').read_text()
    except OSError:
        text = ''
    match = re.search(r'^model name\s*:\s*(.+)$', text, re.MULTILINE)
    return match.group(1).strip() if match else platform.processor() or platform.machine()


def onednn_info():
    """oneDNN's version and the instruction set (ISA) it dispatches to, e.g. 'Intel AVX2'.

    oneDNN reads its CPU's features and DNNL_MAX_CPU_ISA once, and offers the result only through its verbose
    mode, which cannot be switched on in a process that has used it. So one small operation runs in a fresh
    interpreter with this process's environment and DNNL_VERBOSE=1 (about a second, once per process and
    environment). The ISA is None where MXNet runs no oneDNN kernel (MXNET_MKLDNN_ENABLED=0, or a build without
    it); then the plain kernels decide the numbers.
    """
    return dict(_onednn_info(tuple(os.environ.get(name) for name in NUMERIC_VARIABLES)))


@functools.lru_cache(maxsize=None)
def _onednn_info(_environment_key):
    try:
        result = subprocess.run([sys.executable, '-c', ONEDNN_PROBE], capture_output=True, text=True, timeout=120,
                                env={**os.environ, 'DNNL_VERBOSE': '1', 'MKLDNN_VERBOSE': '1'})
    except (OSError, subprocess.SubprocessError) as err:
        return (('version', None), ('isa', None), ('note', f'the oneDNN probe did not run: {err}'))
    output = result.stdout + result.stderr
    if result.returncode:
        last_line = (result.stderr.strip().splitlines() or ['no output'])[-1]
        return (('version', None), ('isa', None), ('note', f'the oneDNN probe failed: {last_line}'))
    version = re.search(r'^(?:dnnl|mkldnn)_verbose,info,(?:oneDNN|DNNL|MKL-DNN) v?([\d.]+)', output, re.MULTILINE)
    isa = re.search(r'^(?:dnnl|mkldnn)_verbose,info,cpu,isa:(.+)$', output, re.MULTILINE)
    info = (('version', version and version.group(1)), ('isa', isa and isa.group(1).strip()))
    if not isa:
        info += (('note', 'MXNet ran no oneDNN kernel (MXNET_MKLDNN_ENABLED=0, or a build without oneDNN)'),)
    return info
