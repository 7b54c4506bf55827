"""Find the numbers in a notebook's prose that none of its cells shows.

A notebook's markdown may state a measured number only if one of that notebook's code cells prints it,
as printed or rounded from a printed value, or if the prose marks it as quoted from elsewhere. A stale
number left behind after the code changed, or one copied from the book, then fails a test instead of
misleading the reader.

What a cell shows: the numbers in its outputs (stream text, `text/plain`, `text/markdown`, `text/html`
with its tags removed, and error messages; images are not read) and the numbers in its source, so that
a hyperparameter the code sets (`lr = 0.1`, `batch_size = 256`) counts as shown.

When a prose number matches a shown one: it is the shown value rounded to the prose's last digit, with
either rounding of a tie (0.82 matches 0.8171 and 0.815; 45 matches 45 and 45.3; 8.7e-10 matches
8.69e-10; 0.8171 does not match 0.817, since the prose claims a digit the output lacks). A percentage
also matches the shown fraction (81.7 % matches 0.8171). A round integer after "about", "around",
"roughly", "approximately", "nearly", "almost", "~" or "≈" may be rounded at its last non-zero digit
(about 30,000 matches 31,772); without such a word, 60,000 must be shown as 60,000 (or 60000). Signs are
ignored. A thousands separator is a comma followed by three digits.

Not measurements, so never checked:
- math: `$...$`, `$$...$$`, `\\(...\\)`, `\\[...\\]` and `\\begin{...}...\\end{...}` (equation constants);
- code: inline code spans and fenced code blocks;
- link targets and bare URLs (the link text is prose), file names such as `3.7-softmax-regression-gluon.ipynb`;
- section and exercise numbers: the number at the start of a heading or list item (`## 3.7.1`, `1.`,
  `(2)`), any number that names a section of the chapter (the heading numbers of all its notebooks,
  `3.6`), and numbers after "Section", "Chapter", "Exercise", "part", "§" (also lists after them:
  "Sections 3.5 and 3.6");
- versions and dates: anything with two or more dots (`1.9.1`, `3.4.2`), a number glued to a letter or a
  letter-and-hyphen (`v0.6`, `float32`, `AVX-512`, `SHA-1`), a number followed by `.x` (`0.x`), a number
  after "Python", "version", "release" or "edition", ISO dates (2017-08-31) and years (1900-2099);
- shapes and ordinals: `28 x 28`, `28×28`, `10 × 784`, `1st`, `2nd`, `3rd`, `4th`.

Quoted numbers: put `[quoted from SOURCE]` in the same sentence (a table row, list item or heading counts
as one sentence), naming where the number comes from, for example

    The book reports a test accuracy of 83.7 % [quoted from the book, v0.6.0, section 3.7].

The brackets show as written in the rendered notebook, so the reader sees which numbers were not
measured here. The marker covers every number of its sentence, so keep quoted and measured numbers in
separate sentences. A marker may also be a link: `[quoted from the book](https://...)`.

A shown number is only a number somewhere in the notebook's cells: the check cannot tell whether the
prose uses it with the right meaning, only that the prose states nothing the notebook does not show.
"""
import bisect
import re
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import nbformat

MATH = re.compile(r'\$\$.*?\$\$|\\\[.*?\\\]|\\begin\{(\w+\*?)\}.*?\\end\{\1\}|\\\(.*?\\\)|(?<![\\$])\$(?:[^$\n]|\n(?!\s*\n))+?\$',
                  re.DOTALL)
FENCED_CODE = re.compile(r'^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$', re.DOTALL | re.MULTILINE)
CODE_SPAN = re.compile(r'(`+)(?!`).*?(?<!`)\1(?!`)', re.DOTALL)
HTML = re.compile(r'<!--.*?-->|</?[A-Za-z][^>\n]*>', re.DOTALL)
LINK_TARGET = re.compile(r'(?<=\])\([^)\s]*(?:\s+"[^"]*")?\)')
URL = re.compile(r'\b(?:https?|ftp)://\S+')
FILE_NAME = re.compile(r'[\w./-]+\.(?:ipynb|py|md|csv|json|png|svg|gz|cfg|txt|toml|yml|yaml|lock)\b')
DATE = re.compile(r'\b\d{4}-\d{2}-\d{2}\b')
SHAPE = re.compile(r'\d+(?:\s*[x×]\s*\d+)+(?!\w|\.\d)')
QUOTED = re.compile(r'\[quoted from\b[^\]]*?[A-Za-z][^\]]*\]', re.IGNORECASE)
REFERENCE_WORDS = r'(?:[Ss]ections?|[Cc]hapters?|[Ee]xercises?|[Pp]arts?|§|[Pp]ython|[Vv]ersions?|[Rr]eleases?|[Ee]ditions?)'
REFERENCE = re.compile(REFERENCE_WORDS + r'\s*\d+(?:\.\d+)*'  # and more: "Sections 3.5 and 3.6", "exercises 1–3"
                       r'(?:(?:\s*(?:,|and|or|to|–|-)\s*)+[1-9]\d?(?:\.\d{1,2})*(?!\d|[.,]\d))*')
LEADING_ENUMERATOR = re.compile(r'^\s*(?:#+\s*\d+(?:\.\d+)*\.?|>?\s*(?:\d+[.)]|[*+-])(?=\s))')
INLINE_ENUMERATOR = re.compile(r'\(\d\)')
BLOCK_START = re.compile(r'^\s*(?:#|\||>|[*+-]\s|\d+[.)]\s)')
ONE_LINE_BLOCK = re.compile(r'^\s*[#|]')  # a heading or a table row ends where its line ends
SENTENCE_END = re.compile(r'(?<=[.!?])\s+(?=[A-Z(\["*_“])')
PROSE_NUMBER = re.compile(r'\d+(?:,\d{3})*(?:\.\d+)?(?:[eE][-+]?\d+)?')
SHOWN_NUMBER = re.compile(r'\d+(?:[,_]\d{3})+(?!\d)|\d*\.?\d+(?:[eE][-+]?\d+)?')  # 60,000 and 60_000 too
APPROXIMATE = re.compile(r'(?:\b(?:about|around|roughly|approximately|nearly|almost)|[~≈])\s*$', re.IGNORECASE)
PERCENT = re.compile(r'^\s?(?:%|percent\b)')
ORDINAL = re.compile(r'^(?:st|nd|rd|th)\b')
HEADING_NUMBER = re.compile(r'^#+\s*(\d+(?:\.\d+)+)', re.MULTILINE)
ANSI = re.compile(r'\x1b\[[0-9;]*m')


class ProseNumber(NamedTuple):
    """A number as the prose writes it, with the half-width of the interval it rounds from."""
    text: str
    value: Decimal
    tolerance: Decimal
    percent: bool


class Violation(NamedTuple):
    """A measured number in markdown cell `cell` that no cell of the notebook shows."""
    cell: int
    number: str
    sentence: str

    def __str__(self):
        return f'cell {self.cell}: {self.number!r} in "{self.sentence}"'


def _blank(match):
    """Replace a match by spaces, so what surrounds it keeps its place and does not join up."""
    return ' ' * len(match.group(0))


def prose_text(markdown):
    """The markdown with math, code, HTML tags, link targets, URLs and file names removed."""
    for pattern in (FENCED_CODE, CODE_SPAN, MATH, HTML, LINK_TARGET, URL, FILE_NAME):
        markdown = pattern.sub(_blank, markdown)
    return markdown


def sentences(text):
    """Split prose into sentences; a heading, list item, table row or quote line starts a new one and
    loses its enumerator, and a heading or table row ends with its line."""
    blocks, current = [], []
    for line in text.splitlines():
        one_line = ONE_LINE_BLOCK.match(line)
        if not line.strip() or BLOCK_START.match(line):
            blocks.append(' '.join(current))
            current = []
            line = LEADING_ENUMERATOR.sub(_blank, line)  # "1." of a list, "3.7.1" of a heading
        if line.strip():
            current.append(line.strip())
        if one_line:
            blocks.append(' '.join(current))
            current = []
    blocks.append(' '.join(current))
    return [sentence for block in blocks if block for sentence in SENTENCE_END.split(block)]


def _tolerance(value, approximate):
    """Half a unit of the last digit written; of the last non-zero digit for an approximate round integer."""
    exponent = value.as_tuple().exponent
    if approximate and exponent == 0 and value:
        exponent = value.normalize().as_tuple().exponent
    return Decimal(5).scaleb(exponent - 1)


def _is_not_a_measurement(sentence, start, end, text):
    """True for a number that names a version, year, identifier or ordinal rather than a measured value."""
    before, after = sentence[:start], sentence[end:]
    if before and (before[-1].isalnum() or before[-1] in '._'):
        return True  # v0.6, float32, the tail of 1.9.1
    if len(before) >= 2 and before[-1] in '-‑' and before[-2].isalpha():
        return True  # AVX-512, SHA-1, batch-64
    if re.match(r'^\.\w', after) or ORDINAL.match(after):
        return True  # 1.9.1, 0.x, 2nd
    return len(text) == 4 and text.isdigit() and 1900 <= int(text) <= 2099  # a year


def measured_numbers(sentence, section_ids=frozenset()):
    """The numbers in one sentence of prose that state a measurement, as `ProseNumber`s."""
    for pattern in (DATE, SHAPE, REFERENCE, INLINE_ENUMERATOR):
        sentence = pattern.sub(_blank, sentence)
    numbers = []
    for match in PROSE_NUMBER.finditer(sentence):
        text = match.group(0)
        if text in section_ids or _is_not_a_measurement(sentence, match.start(), match.end(), text):
            continue
        value = Decimal(text.replace(',', ''))
        approximate = bool(APPROXIMATE.search(sentence[:match.start()]))
        percent = bool(PERCENT.match(sentence[match.end():]))
        numbers.append(ProseNumber(text, value, _tolerance(value, approximate), percent))
    return numbers


def _output_texts(output):
    """The text an output shows: stream text, plain text, markdown, HTML without tags, error messages."""
    if output.get('output_type') == 'stream':
        yield output.get('text', '')
    elif output.get('output_type') == 'error':
        yield output.get('evalue', '')
        yield ANSI.sub('', '\n'.join(output.get('traceback', [])))
    data = output.get('data', {})
    yield data.get('text/plain', '')
    yield data.get('text/markdown', '')
    yield HTML.sub(' ', data.get('text/html', ''))


def _as_text(value):
    return ''.join(value) if isinstance(value, list) else value


def shown_values(nb):
    """Sorted absolute values of every number in the code cells' sources and text outputs."""
    values = set()
    for cell in nb.cells:
        if cell.cell_type != 'code':
            continue
        texts = [cell.source] + [_as_text(text) for output in cell.get('outputs', [])
                                 for text in _output_texts(output)]
        for text in texts:
            values.update(Decimal(re.sub('[,_]', '', m.group(0))) for m in SHOWN_NUMBER.finditer(text))
    return sorted(values)


def _shown_within(value, tolerance, shown):
    """True if some shown value lies within `tolerance` of `value` (both ends included)."""
    i = bisect.bisect_left(shown, value - tolerance)
    return i < len(shown) and shown[i] <= value + tolerance


def is_shown(number, shown):
    """True if the prose number is a shown value as printed or rounded; a percentage also as a fraction."""
    if _shown_within(number.value, number.tolerance, shown):
        return True
    return number.percent and _shown_within(number.value.scaleb(-2), number.tolerance.scaleb(-2), shown)


def section_ids(notebooks):
    """The section numbers that the notebooks' headings name (`3.7`, `3.7.1`, ...), as written."""
    return frozenset(number for nb in notebooks for cell in nb.cells if cell.cell_type == 'markdown'
                     for number in HEADING_NUMBER.findall(cell.source))


def violations(nb, sections=frozenset()):
    """Every measured number in `nb`'s markdown that none of its cells shows and no marker quotes."""
    shown = shown_values(nb)
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != 'markdown':
            continue
        for sentence in sentences(prose_text(cell.source)):
            if QUOTED.search(sentence):
                continue
            found.extend(Violation(index, number.text, sentence)
                         for number in measured_numbers(sentence, sections) if not is_shown(number, shown))
    return found


def read_notebooks(folder):
    """The notebooks of a folder by path, in name order."""
    return {path: nbformat.read(path, as_version=4) for path in sorted(Path(folder).glob('*.ipynb'))}
