"""Screenshot a running dashboard in headless Debian Chromium, once the map has drawn.

usage: python scripts/screenshot.py URL OUT.png [--width 1400 --height 1000]
Also prints every host the page contacted, so an offline check is one command.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "browser"))


def main() -> None:
    from conftest import CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("out")
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--height", type=int, default=1000)
    args = ap.parse_args()
    hosts: set[str] = set()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc or urlsplit(r.url).scheme))
        page.on(
            "console",
            lambda m: print("console:", m.type, m.text[:300]) if m.type in ("error", "warning") else None,
        )
        page.goto(args.url, wait_until="load")
        page.wait_for_function(
            """() => { const gd = document.querySelector('#map .js-plotly-plot');
              return gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot.map.loaded(); }""",
            timeout=60_000,
        )
        page.wait_for_timeout(1500)
        page.screenshot(path=args.out, full_page=True)
        browser.close()
    print("hosts contacted:", sorted(hosts))


if __name__ == "__main__":
    main()
