"""The weekly picture in a real headless Chromium at phone width: nothing overflows, map shows."""

from __future__ import annotations

import shutil
import subprocess
from functools import partial
from pathlib import Path

import pytest

from bot.dispatch.i18n import load_translator
from reports.render import render_digest_html
from tests.test_reports.test_digest_builder import build, scene  # noqa: F401 - fixture

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PHONE_WIDTH = 390
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
# Inside the phone-wide frame the page measures itself and tells the outer page.
PROBE = """<script>window.addEventListener('load', () => {
  const map = document.querySelector('#map svg');
  const box = map ? map.getBoundingClientRect() : {width: 0, height: 0};
  parent.postMessage([document.documentElement.scrollWidth, window.innerWidth,
                      Math.round(box.width), Math.round(box.height)].join(','), '*');
});</script>"""
FRAME = f"""<!doctype html><html><head><title>waiting</title></head><body style="margin:0">
<iframe src="digest.html" width="{PHONE_WIDTH}" height="2400" style="border:0"></iframe>
<script>window.addEventListener('message', e => {{ document.title = 'size:' + e.data; }});</script>
</body></html>"""


@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)
def test_the_picture_fits_a_phone_and_shows_the_map(session_factory, scene, tmp_path) -> None:  # noqa: F811
    digest = build(session_factory, scene, "nl")
    page = render_digest_html(digest, partial(load_translator().raw, "nl"))
    (tmp_path / "digest.html").write_text(page.replace("</body>", PROBE + "</body>"))
    (tmp_path / "frame.html").write_text(FRAME)
    common = [
        CHROMIUM,
        *FLAGS,
        f"--user-data-dir={tmp_path / 'profile'}",
        "--allow-file-access-from-files",
        "--virtual-time-budget=5000",
    ]
    dom = subprocess.run(
        [*common, "--window-size=500,2400", "--dump-dom", (tmp_path / "frame.html").as_uri()],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    ).stdout
    assert "size:" in dom, dom[-500:]
    scroll, inner, map_width, map_height = map(int, dom.split("size:")[1].split("<")[0].split(","))
    assert inner == PHONE_WIDTH
    assert scroll <= inner, f"the page is {scroll} px wide on a {inner} px phone"
    assert 0 < map_width <= inner and map_height > 100
    shot = Path(tmp_path / "digest-phone.png")
    subprocess.run(
        [
            *common,
            f"--window-size={PHONE_WIDTH + 10},2400",
            f"--screenshot={shot}",
            (tmp_path / "frame.html").as_uri(),
        ],
        capture_output=True,
        timeout=90,
        check=False,
    )
    print(f"screenshot: {shot}")
    assert shot.is_file() and shot.stat().st_size > 10_000
