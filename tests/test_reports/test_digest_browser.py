"""The weekly picture in a real headless Chromium at phone width (390 px), in nl, fr and en.

Chromium's window cannot be narrower than 500 px, so the page is shown in a 390 px wide iframe.
Nothing may overflow sideways, the map must show, and the first screen (the top 800 px) must
hold the "this week in short" sentences. A screenshot of the first screen is saved per
language (in $DIGEST_SCREENSHOTS when set, else in the test's temporary folder).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

from bot.reporting import catalog_for
from reports.render import render_digest_html
from tests.test_reports.test_digest_builder import build, scene  # noqa: F401 - fixture

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PHONE_WIDTH = 390
FIRST_SCREEN = 800
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
  const findings = [...document.querySelectorAll('#short li')];
  const bottom = Math.max(0, ...findings.map(li => li.getBoundingClientRect().bottom + scrollY));
  const wide = [...document.querySelectorAll('body *')].filter(
    el => el.getBoundingClientRect().right > window.innerWidth + 1 && !el.closest('svg')).length;
  const small = [...document.querySelectorAll('svg.map text, svg.bars text')].filter(
    t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a < 11.9).length;
  const sizes = [document.documentElement.scrollWidth, window.innerWidth,
                 Math.round(box.width), Math.round(box.height), findings.length,
                 Math.round(bottom), wide, small,
                 document.documentElement.classList.contains('js') ? 1 : 0];
  // Tap the first marker: its note opens; zoom in: the map's view narrows.
  const marker = document.querySelector('a.mk');
  marker.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true}));
  const pop = document.getElementById('pop');
  const text = pop.hidden ? '' : pop.querySelector('.pop-body').textContent;
  const before = map.getAttribute('viewBox');
  document.querySelector('[data-zoom=in]').click();
  const zoomed = map.getAttribute('viewBox') !== before && map.classList.contains('zoomed');
  parent.postMessage([...sizes, zoomed ? 1 : 0].join(',') + '|' + encodeURIComponent(text), '*');
});</script>"""
FRAME = """<!doctype html><html><head><title>waiting</title></head><body style="margin:0">
<iframe src="digest-{language}.html" width="{width}" height="{height}" style="border:0"></iframe>
<script>window.addEventListener('message', e => {{ document.title = 'size:' + e.data; }});</script>
</body></html>"""


def _without_policy(page: str) -> str:
    """Drop the page's Content-Security-Policy so the test's probe may run."""
    return re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--allow-file-access-from-files",
            "--virtual-time-budget=5000",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)
@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_the_picture_fits_a_phone_and_opens_with_its_findings(
    session_factory,
    scene,  # noqa: F811
    tmp_path,
    language,
) -> None:
    digest = build(session_factory, scene, language)
    page = render_digest_html(digest, catalog_for(language))
    (tmp_path / f"digest-{language}.html").write_text(page, encoding="utf-8")
    probed = _without_policy(page).replace("</body>", PROBE + "</body>")
    (tmp_path / f"probe-{language}.html").write_text(probed, encoding="utf-8")
    frame = FRAME.format(language=language, width=PHONE_WIDTH, height=2400)
    (tmp_path / "frame.html").write_text(frame.replace("digest-", "probe-"))
    dom = _chromium(
        tmp_path, "--window-size=500,2400", "--dump-dom", (tmp_path / "frame.html").as_uri()
    ).stdout
    assert "size:" in dom, dom[-500:]
    message = dom.split("size:")[1].split("<")[0]
    numbers, popped = message.split("|", 1)
    values = numbers.split(",")
    scroll, inner, map_width, map_height, findings, bottom, wide, small, js, zoomed = map(
        int, values
    )
    assert inner == PHONE_WIDTH
    assert scroll <= inner, f"the page is {scroll} px wide on a {inner} px phone"
    assert wide == 0, f"{wide} elements reach past the right edge"
    assert 0 < map_width <= inner and map_height > 100
    assert findings == len(digest.findings) >= 3
    assert bottom <= FIRST_SCREEN, f"the findings end at {bottom} px"
    assert small == 0, f"{small} chart texts are under 12 CSS px"
    assert js == 1  # the page's own script ran
    assert zoomed == 1
    first = next(p for p in sorted(digest.map.points, key=lambda p: p.number))
    entry = digest.entries[first.number - 1]
    assert entry.text and entry.text in unquote(popped)  # a tap shows the note's text

    # The first screen as a reader sees it (with the page's policy in force).
    folder = Path(os.environ.get("DIGEST_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    shot = folder / f"digest-first-screen-{language}.png"
    first = FRAME.format(language=language, width=PHONE_WIDTH, height=FIRST_SCREEN)
    (tmp_path / "first.html").write_text(first)
    _chromium(
        tmp_path,
        f"--window-size={PHONE_WIDTH},{FIRST_SCREEN}",
        f"--screenshot={shot}",
        (tmp_path / "first.html").as_uri(),
    )
    print(f"screenshot: {shot}")
    assert shot.is_file() and shot.stat().st_size > 10_000
