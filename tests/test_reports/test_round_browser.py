"""The round report in a real headless Chromium at phone width (390 px), in nl, fr and en.

Like test_digest_browser.py: the page is shown in a 390 px wide iframe (Chromium's window
cannot be narrower than 500 px). Nothing may overflow sideways, the buurtkaart must show and
its markers open their place, the heat table and the SWOT grid must fit. A screenshot of the
whole page is saved per language (in $ROUND_SCREENSHOTS when set, else in the test's folder).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote

import pytest

from bot.reporting import catalog_for
from reports.render import render_round_html
from tests.test_reports.test_digest_browser import CHROMIUM, PHONE_WIDTH, _chromium, _without_policy
from tests.test_reports.test_round_builder import build_report

PROBE = """<script>window.addEventListener('load', () => {
  const map = document.querySelector('#buurtkaart svg.map');
  const box = map ? map.getBoundingClientRect() : {width: 0, height: 0};
  const wide = [...document.querySelectorAll('body *')].filter(
    el => el.getBoundingClientRect().right > window.innerWidth + 1
      && !el.closest('svg') && !el.closest('.scroll')).length;
  const quadrants = [...document.querySelectorAll('.quadrant')].filter(
    q => q.getBoundingClientRect().width <= window.innerWidth).length;
  const sparks = document.querySelectorAll('svg.spark').length;
  const sizes = [document.documentElement.scrollWidth, window.innerWidth,
                 Math.round(box.width), Math.round(box.height), wide, quadrants, sparks,
                 Math.round(document.documentElement.scrollHeight)];
  const marker = document.querySelector('a.mk');
  marker.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true}));
  const pop = document.getElementById('pop');
  const text = pop.hidden ? '' : pop.querySelector('.pop-body').textContent;
  parent.postMessage(sizes.join(',') + '|' + encodeURIComponent(text), '*');
});</script>"""
FRAME = """<!doctype html><html><head><title>waiting</title></head><body style="margin:0">
<iframe src="{page}" width="{width}" height="{height}" style="border:0"></iframe>
<script>window.addEventListener('message', e => {{ document.title = 'size:' + e.data; }});</script>
</body></html>"""


@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)
@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_the_round_report_fits_a_phone(
    session_factory,
    round_scene,
    tmp_path,
    language,
) -> None:
    report = build_report(session_factory, round_scene, language)
    page = render_round_html(report, catalog_for(language))
    (tmp_path / f"round-{language}.html").write_text(page, encoding="utf-8")
    probed = _without_policy(page).replace("</body>", PROBE + "</body>")
    (tmp_path / f"probe-{language}.html").write_text(probed, encoding="utf-8")
    frame = FRAME.format(page=f"probe-{language}.html", width=PHONE_WIDTH, height=2400)
    (tmp_path / "frame.html").write_text(frame)
    dom = _chromium(
        tmp_path, "--window-size=500,2400", "--dump-dom", (tmp_path / "frame.html").as_uri()
    ).stdout
    assert "size:" in dom, dom[-500:]
    numbers, popped = dom.split("size:")[1].split("<")[0].split("|", 1)
    scroll, inner, map_width, map_height, wide, quadrants, sparks, height = map(
        int, numbers.split(",")
    )
    assert inner == PHONE_WIDTH
    assert scroll <= inner, f"the page is {scroll} px wide on a {inner} px phone"
    assert wide == 0, f"{wide} elements reach past the right edge"
    assert 0 < map_width <= inner and map_height > 100
    assert quadrants == 4
    assert sparks == len(report.section("trends").series)
    kaart = report.section("buurtkaart")
    first = min(kaart.map.points, key=lambda p: p.number)
    place = kaart.places[first.number - 1]
    assert place.text and place.text in unquote(popped)  # a tap shows the place

    # The whole page as a reader scrolls it (with the page's policy in force).
    folder = Path(os.environ.get("ROUND_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    shot = folder / f"round-report-{language}.png"
    whole = FRAME.format(page=f"round-{language}.html", width=PHONE_WIDTH, height=height)
    (tmp_path / "whole.html").write_text(whole)
    _chromium(
        tmp_path,
        f"--window-size={PHONE_WIDTH + 110},{height}",
        f"--screenshot={shot}",
        (tmp_path / "whole.html").as_uri(),
    )
    print(f"screenshot: {shot}")
    assert shot.is_file() and shot.stat().st_size > 10_000
