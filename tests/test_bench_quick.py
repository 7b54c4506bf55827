"""The pipeline benchmark's smoke run: every pipeline trains, book and d2l_ext agree, sweeps are equal."""
import importlib.util
import re
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import d2l_ext as d2l

SCRIPT = Path(__file__).resolve().parents[1] / 'benchmarks' / 'bench_pipeline.py'


def load_benchmark():
    spec = importlib.util.spec_from_file_location('bench_pipeline', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_run_trains_every_pipeline_and_reports_its_figures(real_data_dir):
    result = subprocess.run([sys.executable, str(SCRIPT), '--quick', '--root', str(real_data_dir)],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.startswith('Fashion-MNIST 2017-08-31: 1 epochs x 60000 examples, batch 256, lr 0.1, 1 repeats')
    for pipeline in ('book', 'd2l_ext', 'np_api', 'floor', 'hybrid_floor'):
        assert re.search(rf'^{pipeline} +[\d,]+  [\d,]+$', out, re.MULTILINE), pipeline
    for ratio in ('d2l_ext/book', 'd2l_ext/floor', 'd2l_ext/hybrid_floor', 'np_api/d2l_ext'):
        assert re.search(rf'^ratio {ratio}: \d+\.\d\d', out, re.MULTILINE), ratio
    assert re.search(r'^sweep lr=.*, 1 epochs, 2000 examples, \d+ cores: n_jobs=1 [\d.]+ s', out, re.MULTILINE)
    assert re.search(r'^ratio sweep serial/parallel: .*; tables equal$', out, re.MULTILINE)
    assert re.search(r'^memory of the loaded data: peak RSS \d+ MB, resident after one epoch -?\d+ MB',
                     out, re.MULTILINE)
    assert re.search(r'^load average \(1 min\) on \d+ cores: [\d.]+ before', out, re.MULTILINE)
    assert re.search(r'^after 1 epochs: book test acc 0\.\d{3} .*: agree$', out, re.MULTILINE)


def test_disagreeing_runs_are_reported():
    bench = load_benchmark()
    args = Namespace(epochs=5, tolerance=0.02, loss_tolerance=0.01)
    book = d2l.EpochStats(5, 0.4859, 0.836, 0.826)
    assert bench.agreement(book, d2l.EpochStats(5, 0.4860, 0.836, 0.817), args)[0]
    ok, line = bench.agreement(book, d2l.EpochStats(5, 0.4860, 0.836, 0.790), args)
    assert not ok and line.endswith('DISAGREE')
    assert not bench.agreement(book, d2l.EpochStats(5, 0.5100, 0.836, 0.826), args)[0]
