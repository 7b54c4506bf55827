"""The notebooks where users run them: JupyterLab and Notebook 7 in headless Chromium, driven by Playwright.

Each test saves a screenshot of the page, named in its failure message, so a failing run can be looked at.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get('CHROMIUM', '/usr/bin/chromium'))
NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / 'notebooks'
ERROR_OUTPUT = '[data-mime-type="application/vnd.jupyter.error"]'
# Start the notebook's kernel without asking (the dialog otherwise shows now and then), and no news pop-up.
SETTINGS = {'@jupyterlab/notebook-extension/tracker': {'autoStartDefaultKernel': True},
            '@jupyterlab/apputils-extension/notification': {'fetchNews': 'false'}}
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update']

if not CHROMIUM.is_file():
    pytest.skip(f'Chromium is missing at {CHROMIUM}: apt-get install chromium (or set CHROMIUM to its path)',
                allow_module_level=True)
sync_api = pytest.importorskip('playwright.sync_api', reason='Playwright is missing: pip install -r requirements.txt')
expect = sync_api.expect


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture(scope='module')
def jupyter_url(tmp_path_factory):
    """A JupyterLab server without a token on 127.0.0.1, serving a copy of notebooks/; stopped afterwards."""
    home = tmp_path_factory.mktemp('jupyter')
    root = home / 'notebooks'
    shutil.copytree(NOTEBOOK_DIR, root, ignore=shutil.ignore_patterns('.ipynb_checkpoints'))
    settings = home / 'settings'
    for plugin, values in SETTINGS.items():
        path = settings / f'{plugin}.jupyterlab-settings'
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port = free_port()
    env = {**os.environ, 'JUPYTER_CONFIG_DIR': str(home / 'config'), 'JUPYTER_RUNTIME_DIR': str(home / 'runtime'),
           'JUPYTERLAB_SETTINGS_DIR': str(settings),
           'PYTHONPATH': os.pathsep.join([str(NOTEBOOK_DIR.parent), os.environ.get('PYTHONPATH', '')])}
    server = subprocess.Popen(
        [sys.executable, '-m', 'jupyter', 'lab', '--no-browser', '--allow-root', '--ServerApp.ip=127.0.0.1',
         f'--ServerApp.port={port}', '--ServerApp.port_retries=0', "--ServerApp.token=''",
         '--ServerApp.disable_check_xsrf=True',  # lets the tests end sessions through the REST API
         f'--ServerApp.root_dir={root}', f'--LabApp.workspaces_dir={home / "workspaces"}'],
        env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=open(home / 'server.log', 'w'))
    url = f'http://127.0.0.1:{port}'
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f'{url}/api/status', timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f'JupyterLab did not start; see {home / "server.log"}')
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(scope='module')
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def shut_down_kernels(url):
    """End every session (and its kernel), so that the next test starts from fresh kernels."""
    with urllib.request.urlopen(f'{url}/api/sessions', timeout=10) as response:
        sessions = json.load(response)
    for session in sessions:
        urllib.request.urlopen(urllib.request.Request(f'{url}/api/sessions/{session["id"]}', method='DELETE'),
                               timeout=30)


@pytest.fixture
def page(browser, jupyter_url, tmp_path):
    """A browser tab; its screenshot is saved in tmp_path whatever happens, and a failing test names it."""
    page = browser.new_page(viewport={'width': 1400, 'height': 1000})
    page.set_default_timeout(90_000)
    yield page
    page.screenshot(path=str(tmp_path / 'page.png'))
    print(f'screenshot of the page: {tmp_path / "page.png"}')  # shown with a failure's captured output
    page.close()
    shut_down_kernels(jupyter_url)


def check(page, tmp_path, condition, message):
    """Assert `condition`, naming the screenshot the `page` fixture saves."""
    assert condition, f'{message} (screenshot of the page: {tmp_path / "page.png"})'


def menu(page, name, item):
    """Click a menu bar entry, then one of its items (the same in JupyterLab and Notebook 7)."""
    page.locator('.lm-MenuBar-itemLabel', has_text=re.compile(f'^{name}$')).click()
    page.locator('.lm-Menu-itemLabel', has_text=re.compile(f'^{item}$')).click()


def code_cell(page, text):
    """The code cell whose source contains `text`."""
    return page.locator('.jp-CodeCell', has=page.locator('.jp-InputArea', has_text=text))


def wait_until_idle(page):
    """Wait until no cell shows the running prompt [*]."""
    page.wait_for_function("""() => [...document.querySelectorAll('.jp-InputPrompt')]
                                    .every(prompt => !prompt.textContent.includes('*'))""")


def open_explorer(page, tmp_path, url):
    """Open exercises.ipynb at `url`, run the cells up to the explorer's and that one; returns its panel."""
    page.goto(url)
    page.locator('.jp-Notebook .jp-Cell').first.wait_for()
    menu(page, 'Edit', 'Clear Outputs of All Cells')  # so that what shows below is from this run
    explorer_cell = code_cell(page, 'd2l.explore(')
    explorer_cell.locator('.jp-InputPrompt').click()
    menu(page, 'Run', 'Run All Above Selected Cell')
    code_cell(page, 'import d2l_ext as d2l').locator('.jp-InputPrompt', has_text='[1]').wait_for()
    explorer_cell.locator('.jp-InputPrompt').click()
    menu(page, 'Run', 'Run Selected Cell')
    panel = explorer_cell.locator('.jp-OutputArea-output .widget-vbox').first
    panel.get_by_role('button', name='Run').wait_for()
    check(page, tmp_path, page.locator(ERROR_OUTPUT).count() == 0, 'a cell failed before Run was clicked')
    return panel


@pytest.mark.parametrize('app', ['lab/tree', 'notebooks'], ids=['JupyterLab', 'Notebook 7'])
def test_explorer_trains_a_run_when_run_is_clicked(jupyter_url, page, tmp_path, app):
    reset = '?reset' if app.startswith('lab') else ''  # no tabs restored
    panel = open_explorer(page, tmp_path, f'{jupyter_url}/{app}/exercises.ipynb{reset}')
    run_button = panel.get_by_role('button', name='Run')
    run_button.click()
    panel.locator('table.d2l-explorer-runs tbody tr').first.wait_for()
    panel.locator('.widget-label', has_text='run 1 finished').wait_for()
    check(page, tmp_path, panel.locator('table.d2l-explorer-runs tbody tr').count() == 1, 'one run, one table row')
    check(page, tmp_path, panel.locator('img').count() == 1, 'the panel shows its figure')
    check(page, tmp_path, page.locator(ERROR_OUTPUT).count() == 0, 'an error output appeared')
    check(page, tmp_path, not run_button.is_disabled(), 'Run is enabled again after the run')

    panel.get_by_label('model').select_option('mlp')  # slower epochs, so that Stop lands inside the first
    run_button.click()
    panel.get_by_role('button', name='Stop').click()  # the kernel must take the click while it trains
    panel.locator('.widget-label', has_text=re.compile(r'^run 2 stopped')).wait_for()
    check(page, tmp_path, page.locator(ERROR_OUTPUT).count() == 0, 'an error output appeared after Stop')
    panel.locator('img').scroll_into_view_if_needed()  # for the screenshot


def test_explorer_reads_out_its_controls_and_figure(jupyter_url, page, tmp_path):
    """What a screen reader gets: each control named by its label and read as its value, typed values that
    are taken or explained, and a figure whose alt text states the runs and their last epoch."""
    panel = open_explorer(page, tmp_path, f'{jupyter_url}/lab/tree/exercises.ipynb?reset')
    print(panel.aria_snapshot())  # shown with a failure's captured output
    controls = {'learning rate': '0.1', 'batch size': '256', 'epochs': '3', 'weight decay': '0',
                'train images': '60000', 'seed': '0', 'model': 'concise'}
    for label, value in controls.items():
        control = panel.get_by_label(label, exact=True)
        expect(control).to_have_accessible_name(label)
        expect(control).to_have_value(value)
    batch_size = panel.get_by_role('combobox', name='batch size').aria_snapshot()
    check(page, tmp_path, '- option "256" [selected]' in batch_size, 'the batch size list reads its choice')
    figure = panel.get_by_role('img')
    expect(figure).to_have_attribute('alt', re.compile('^No runs yet: empty panels of train loss'))

    learning_rate = panel.get_by_label('learning rate', exact=True)
    learning_rate.fill('0')
    learning_rate.press('Tab')
    status = panel.locator('.widget-label', has_text='learning rate must be a positive finite number, got 0.0')
    status.wait_for()
    learning_rate.fill('0.2')
    learning_rate.press('Tab')
    panel.locator('.widget-label', has_text='Choose values and press Run.').wait_for()
    panel.get_by_label('train images', exact=True).select_option('5000')
    panel.get_by_role('button', name='Run').click()
    panel.locator('.widget-label', has_text='run 1 finished').wait_for()
    test_acc = panel.locator('table.d2l-explorer-runs tbody tr td').nth(11).inner_text()
    expect(figure).to_have_attribute('alt', re.compile(
        rf'^Train loss \(log scale\), train acc and test acc against epoch, 1 run\. run 1: lr=0\.2; '
        rf'epoch 3: train loss [0-9.]+, train acc [0-9.]+, test acc {re.escape(test_acc)}\.$'))
    check(page, tmp_path, page.locator(ERROR_OUTPUT).count() == 0, 'an error output appeared')
    figure.scroll_into_view_if_needed()  # for the screenshot


def test_section_3_7_draws_its_training_curve_live(jupyter_url, page, tmp_path):
    page.goto(f'{jupyter_url}/lab/tree/3.7-softmax-regression-gluon.ipynb?reset')  # no tabs restored
    page.locator('.jp-Notebook .jp-Cell').first.wait_for()
    menu(page, 'Edit', 'Clear Outputs of All Cells')
    menu(page, 'Run', 'Run All Cells')
    # the book's training call; the seed comparison further down calls train_ch3 with more arguments
    training = code_cell(page, 'num_epochs, batch_size, None, None, trainer)')
    training.locator('.jp-OutputArea-output img').first.wait_for()
    training.get_by_text('epoch 5, loss').wait_for()
    wait_until_idle(page)
    training.scroll_into_view_if_needed()  # for the screenshot
    check(page, tmp_path, training.locator('.jp-OutputArea-output img').count() == 1,
          'the training cell shows one figure, redrawn in place')
    check(page, tmp_path, page.locator(ERROR_OUTPUT).count() == 0, 'an error output appeared')
