"""A real browser (Debian's chromium, driven by Playwright) on the URL `invoke local` prints:
a notebook on the image's first Python kernel runs a cell, and the output appears on the page."""
import docker
import pytest
from playwright.sync_api import sync_playwright

from studio_containers import PROJECT_ROOT
from studio_containers.cli_process import LocalRun
from studio_containers.host import CHROMIUM
from studio_containers.ports import free_port
from studio_containers.runtime.gateway import local_containers
from studio_containers.spec import load_spec
from tests.helpers import project_settings, shipped_images

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CELL = 'import os, socket; print(f"uid={os.getuid()} host={socket.gethostname()}")'


@pytest.mark.parametrize("image", shipped_images("kernel-gateway"))
def test_a_notebook_on_the_image_kernel_runs_in_chromium(image, local_env, first_start_timeout, tmp_path):
    spec = load_spec(project_settings().images_dir / image)
    kernel = spec.kernels[0]
    run = LocalRun(local_env, "--image", image, "--port", str(free_port()))
    try:
        url, _, _ = run.wait_for_url(first_start_timeout)
        [container] = local_containers(docker.from_env(), tmp_path / "state")
        hostname = container.attrs["Config"]["Hostname"]
        ARTIFACTS.mkdir(exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                 args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            try:
                page.goto(url)
                card = page.locator('.jp-LauncherCard[data-category="Notebook"]',
                                    has_text=kernel.display_name)
                card.first.click(timeout=60_000)
                # A cell run before the kernel is connected is dropped: wait until it is idle.
                # No reload: before local/lab/relay.py, about one first notebook in ten stayed
                # "Unknown" here, and this wait is what caught it.
                page.get_by_text(f"{kernel.display_name} | Idle").wait_for(timeout=60_000)
                editor = page.locator(".jp-NotebookPanel .jp-Cell .cm-content").first
                editor.click(timeout=60_000)
                page.keyboard.type(CELL)
                page.keyboard.press("Shift+Enter")
                output = page.locator(".jp-NotebookPanel .jp-OutputArea-output").first
                output.wait_for(timeout=60_000)
                page.wait_for_function(
                    "document.querySelector('.jp-NotebookPanel .jp-OutputArea-output')"
                    ".innerText.includes('host=')", timeout=60_000)
                text = output.inner_text()
            finally:
                page.screenshot(path=str(ARTIFACTS / f"browser-notebook-{image}.png"), full_page=True)
                browser.close()
        assert f"uid={spec.uid} host={hostname}" in text
        assert run.interrupt() == 0
    finally:
        run.kill()
