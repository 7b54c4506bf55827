"""Every measured number in a notebook's prose is printed by one of its cells or marked as quoted.

The rules (what counts as a measurement, how rounding and percentages match, the `[quoted from SOURCE]`
marker) are in the docstring of `prose_numbers`.
"""
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from prose_numbers import read_notebooks, section_ids, violations

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / 'notebooks'
NOTEBOOKS = read_notebooks(NOTEBOOK_DIR)
SECTIONS = section_ids(NOTEBOOKS.values())
HINT = ('print each number from a cell (or round a printed one), or mark a number taken from elsewhere with '
        '"[quoted from SOURCE]" in its sentence; see tests/prose_numbers.py')


@pytest.mark.parametrize('path', NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_prose_numbers_are_printed_or_quoted(path):
    found = violations(NOTEBOOKS[path], SECTIONS)
    assert not found, f'{path.name}: numbers no cell prints ({HINT}):\n' + '\n'.join(map(str, found))


# The checker itself, on small notebooks.

def _notebook(prose, printed='', source='print(acc)', **data):
    """One markdown cell, then one code cell that printed `printed` and displayed the mime bundle `data`."""
    outputs = [new_output('stream', name='stdout', text=printed)] if printed else []
    if data:
        outputs.append(new_output('display_data', data=data))
    return new_notebook(cells=[new_markdown_cell(prose),
                               new_code_cell(source, execution_count=1, outputs=outputs)])


def _unprinted(prose, printed='', source='print(acc)', sections=frozenset(), **data):
    return [v.number for v in violations(_notebook(prose, printed, source, **data), sections)]


TRAINING = 'epoch 5, loss 0.4860, train acc 0.836, test acc 0.8171\n'


def test_catches_a_number_no_cell_prints():
    assert _unprinted('After 5 epochs the MLP reaches 0.856 on the test set.', TRAINING) == ['0.856']


def test_reports_cell_number_and_sentence():
    nb = _notebook('The loss falls. It ends at 0.47, below the book.', TRAINING)
    nb.cells.insert(0, new_markdown_cell('# Title'))
    assert [tuple(v) for v in violations(nb)] == [(1, '0.47', 'It ends at 0.47, below the book.')]


@pytest.mark.parametrize('prose, printed', [
    ('The test accuracy is 0.8171.', TRAINING),          # as printed
    ('The test accuracy is 0.82.', TRAINING),            # rounded
    ('The test accuracy is 0.817.', TRAINING),
    ('Accuracy rounds to 0.82 from 0.815.', '0.815\n'),  # a tie rounds either way
    ('Shirts lose 45 images.', '45\n'),
    ('Shirts lose 45 images.', '45.3\n'),
    ('The gradient is 8.7e-10 there.', 'grad 8.69e-10\n'),
    ('It classifies 81.7 % of the images.', TRAINING),  # a percentage of a printed fraction
    ('It classifies 81.7% of the images.', 'acc 81.7%\n'),
    ('An epoch has 60,000 examples.', '(60000, 28, 28)\n'),
    ('The book loader reads about 30,000 examples/s.', '31,772 examples/s\n'),
])
def test_accepts_a_printed_or_rounded_number(prose, printed):
    assert _unprinted(prose, printed) == []


@pytest.mark.parametrize('prose, printed', [
    ('The test accuracy is 0.81715.', TRAINING),  # a digit more than printed
    ('The test accuracy is 0.83.', TRAINING),
    ('It classifies 83.7 % of the images.', TRAINING),
    ('The book loader reads 30,000 examples/s.', '31,772 examples/s\n'),  # round, but not marked approximate
    ('An epoch has 60,000 examples.', '6000\n'),
])
def test_rejects_a_number_that_rounds_from_nothing_printed(prose, printed):
    assert _unprinted(prose, printed)


def test_a_number_in_the_code_counts_as_shown():
    assert _unprinted('We train with a learning rate of 0.3 on batches of 5,000.',
                      source='lr, batch_size = 0.3, 5_000\nprint(acc)') == []


def test_reads_html_and_plain_text_outputs_but_not_images():
    assert _unprinted('The table shows 0.856.', **{'text/html': '<td>0.856</td>'}) == []
    assert _unprinted('The figure shows 0.856.', **{'text/plain': '<Figure 0.856>'}) == []
    assert _unprinted('The figure shows 0.856.', **{'image/png': 'iVBORw0KGgo0.856AAA'}) == ['0.856']


def test_accepts_a_number_marked_as_quoted():
    assert _unprinted('The book reports 83.7 % [quoted from the book, v0.6.0, section 3.7].', TRAINING) == []
    assert _unprinted('MNIST reaches 92 % [quoted from a PyTorch tutorial](https://pytorch.org).') == []
    assert _unprinted('| book | 0.804 | 0.820 | [quoted from the book, v0.6.0] |') == []


def test_a_quote_marker_needs_a_source_and_covers_only_its_sentence():
    assert _unprinted('The book reports 83.7 % [quoted from].') == ['83.7']
    assert _unprinted('The book reports 83.7 % [quoted from the book]. We get 0.856.', TRAINING) == ['0.856']


@pytest.mark.parametrize('prose', [
    'Softmax overflows above $\\log(3.4 \\times 10^{38}) \\approx 88.72$.',
    'The loss of a uniform guess is\n\n$$\n\\log 10 = 2.3026 .\n$$\n',
    'Inline math \\(0.856\\) and display math \\[0.856\\].',
    'Inline math may wrap: $\\exp(o_j)\n/ 0.856$ is one formula.',
    'Set `lr = 0.856` and call `d2l.sweep(lr=[0.856])`.',
    'Run:\n\n```python\nnet.train(lr=0.856)\n```\n',
    'See [the notes](https://example.com/v0.856/page.html) and notebooks/3.9-results.ipynb.',
])
def test_ignores_math_code_and_links(prose):
    assert _unprinted(prose) == []


@pytest.mark.parametrize('prose', [
    '## 3.4.2 Network Architecture',
    'Sections 3.5 and 3.6 use it; exercises 1–3 follow, and Exercise 4 too.',
    '1. Compute the second derivative.\n    2. Compute its variance.',
    'The code is (1) fixed-length or (2) variable-length.',
    'The book v0.6.0 uses MXNet 1.9.1 on Python 3.11, and the 0.x editions differ.',
    'The data set (Xiao et al., 2017) has two releases, 2017-08-26 and 2017-08-31.',
    'Each image is 28 x 28, or 28×28 pixels, and the weights are 10 × 784.',
    'Kernels differ under AVX-512, SSE4.1 and AVX2; float32 rounds; SHA-1 sums differ.',
    'It falls in the 2nd and 4th epochs.',
])
def test_ignores_numbers_that_are_not_measurements(prose):
    assert _unprinted(prose) == []


def test_a_bare_section_number_needs_the_chapter_headings():
    prose = 'The naive softmax of 3.6 overflows.'
    assert _unprinted(prose) == ['3.6']
    sections = section_ids([new_notebook(cells=[new_markdown_cell('# 3.6 Softmax from scratch')])])
    assert sections == {'3.6'}
    assert _unprinted(prose, sections=sections) == []


def test_a_heading_or_table_row_is_a_sentence_of_its_own():
    assert _unprinted('## Results [quoted from the book]\nThe MLP reaches 0.856.') == ['0.856']
    assert _unprinted('| book [quoted from the book] | 0.804 |\n| here | 0.856 |') == ['0.856']
