"""tools/webui.py in a real browser: upload an image, read the count."""
import os
import os.path as osp
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import cv2
import numpy as np
import pytest
import torch

from hsrcount.apis import count, init_model
from hsrcount.datasets.synthetic import draw_crowd

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(REPO, 'configs', 'hsrnet', 'hsrnet_demo.py')
CHROMIUM, CHROMEDRIVER = '/usr/bin/chromium', '/usr/bin/chromedriver'
#: Set to a path to keep the page's screenshot (docs/figures/webui.png).
SCREENSHOT_ENV = 'HSRCOUNT_WEBUI_SCREENSHOT'
#: Set to a checkpoint of the demo config (e.g. a `make demo` run's) to
#: serve it instead of the test's random-weight model; docs/deploy.md's
#: screenshot was taken so.
CHECKPOINT_ENV = 'HSRCOUNT_WEBUI_CHECKPOINT'


def _browser_or_skip():
    pytest.importorskip('gradio')
    pytest.importorskip('selenium')
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not osp.isfile(p)]
    if missing:
        pytest.skip(f'no browser: {missing} not installed (Debian packages '
                    f'chromium and chromium-driver; .ci/run installs them)')


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _wait_for(url, proc, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f'webui exited early:\n{proc.stdout.read()}')
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f'{url} did not answer in {seconds} s')


@pytest.mark.slow
def test_upload_an_image_and_read_the_count(tmp_path):
    _browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    ckpt = os.environ.get(CHECKPOINT_ENV)
    if not ckpt:
        torch.manual_seed(0)
        model = init_model(DEMO)
        model.init_weights()
        torch.nn.init.constant_(model.head.fuse.bias, 0.05)
        ckpt = str(tmp_path / 'demo.pth')
        torch.save(dict(state_dict=model.state_dict(), meta={}), ckpt)
    img, _, _ = draw_crowd(np.random.default_rng(5), (192, 256), 40)
    image = str(tmp_path / 'crowd.png')
    cv2.imwrite(image, img)
    expected = count(image, init_model(DEMO, ckpt)).count

    port = _free_port()
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED='False',
               PYTHONUNBUFFERED='1')
    server = subprocess.Popen(
        [sys.executable, osp.join(REPO, 'tools', 'webui.py'), DEMO, ckpt,
         '--port', str(port)], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ('--headless=new', '--no-sandbox', '--disable-gpu',
                 '--disable-dev-shm-usage', '--disable-quic',
                 '--no-first-run', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync',
                 '--window-size=1280,1100',
                 f'--user-data-dir={tmp_path / "chrome"}'):
        options.add_argument(flag)
    driver = None
    try:
        url = f'http://127.0.0.1:{port}/'
        _wait_for(url, server)
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER),
                                  options=options)
        driver.get(url)
        wait = WebDriverWait(driver, 120)
        upload = wait.until(ec.presence_of_element_located(
            (By.CSS_SELECTOR, '#image-input input[type=file]')))
        upload.send_keys(image)
        wait.until(ec.presence_of_element_located(
            (By.CSS_SELECTOR, '#image-input img')))
        driver.find_element(By.CSS_SELECTOR, '#count-button').click()
        box = '#count-output textarea, #count-output input'
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, box)
                   .get_attribute('value'))
        shown = driver.find_element(By.CSS_SELECTOR,
                                    box).get_attribute('value')
        assert float(shown) == pytest.approx(expected, abs=0.05)
        wait.until(ec.presence_of_element_located(
            (By.CSS_SELECTOR, '#overlay-output img')))
        shot = str(tmp_path / 'webui.png')
        driver.save_screenshot(shot)
        if os.environ.get(SCREENSHOT_ENV):
            shutil.copy(shot, os.environ[SCREENSHOT_ENV])
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        server.wait(timeout=30)
