"""mockint serve's latency in a real browser (headless Chromium, its fake microphone).

    .venv/bin/python bench/web_latency.py [--runs 5] [--question Q10] [--sentences 3]

Starts ``mockint serve --no-open`` on a fresh data directory and opens its printed URL
(the home page) in headless Chromium, timing the page's first paint after the URL was
printed (and after the browser began loading it). Then, in the practice page, one
question is answered ``--runs`` times (the first take, then Retry), each time with its
model answer's first sentences spoken by espeak-ng (0.8 s between sentences) through
the page's microphone. For each take: seconds from the end of the recording (the
end-of-answer decision, the server's clock) to the result painted in the page (the
page's clock, same machine), and the part spent before the result left the server.
Medians. ``--paint-only N`` measures only the home page's first paint, N times (a fresh
server and browser each time), and gives each and their median.
No virtual audio is needed: Chromium reads the WAV.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mockint.bank import Bank, load_file, to_toml  # noqa: E402
from tests.browser import Chromium, Server  # noqa: E402
from tests.test_web_browser import spoken_answer  # noqa: E402


def events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def first_paint(page: Chromium) -> tuple[float, float]:
    """(epoch seconds of the first contentful paint, its ms after navigation start)."""
    got = page.wait_for(
        "(() => { const p = performance.getEntriesByName('first-contentful-paint')[0];"
        " return p ? [performance.timeOrigin + p.startTime, p.startTime] : null; })()",
        30,
    )
    return got[0] / 1000, got[1]


def take(page: Chromium, log: Path, n: int, first: bool) -> dict[str, float]:
    """One answer: start (or retry), wait for the result; its timings from the event log."""
    if first:
        # (as --no-check: the bench times answers, not the microphone check)
        page.eval("document.querySelector('select[name=check]').value = 'never'; true")
        page.eval("document.getElementById('start').click(); true")
    else:
        page.wait_for("!!document.getElementById('btn-retry')", 60)
        page.eval("document.getElementById('btn-retry').click(); true")
    page.wait_for(
        f"document.querySelectorAll('#score').length && "
        f"+document.querySelector('#score a').href.split('/').pop() === {n}",
        400,
    )
    time.sleep(0.5)  # the "shown" message reaches the log
    ev = events(log)
    stop = [e for e in ev if e["event"] == "recording_stopped"][-1]
    server = [e for e in ev if e["event"] == "result_shown"][-1]
    shown = [e for e in ev if e["event"] == "page_result_shown"][-1]
    return {
        "stop_to_page": shown["at"] - stop["t"],
        "stop_to_sent": server["t"] - stop["t"],
        "answer_seconds": stop["seconds"],
    }


def paint_once(q: Any, i: int) -> float:
    """Seconds from the printed URL to the home page's first paint (fresh directory)."""
    with tempfile.TemporaryDirectory(prefix="mockint-web-bench-") as tmp_s:
        tmp = Path(tmp_s)
        home = tmp / "home"
        (home / "bank").mkdir(parents=True)
        (home / "bank" / "bench.toml").write_text(to_toml(Bank("bench", (q,))))
        server = Server(home)
        page = Chromium(server.url, tmp / "profile")
        try:
            painted, since_nav = first_paint(page)
        finally:
            page.close()
            server.stop()
    took = painted - server.url_at
    print(
        f"run {i + 1}: first paint {took:.2f} s after the URL ({since_nav / 1000:.2f} s after load)"
    )
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--question", default="Q10")
    ap.add_argument("--sentences", type=int, default=3)
    ap.add_argument("--paint-only", type=int, default=0, metavar="N")
    args = ap.parse_args()
    q = load_file(ROOT / "bank" / "resume.toml").get(args.question)
    if args.paint_only:
        paints = [paint_once(q, i) for i in range(args.paint_only)]
        print(f"median over {len(paints)}: first paint {statistics.median(paints):.2f} s")
        return
    with tempfile.TemporaryDirectory(prefix="mockint-web-bench-") as tmp_s:
        tmp = Path(tmp_s)
        home = tmp / "home"
        (home / "bank").mkdir(parents=True)
        (home / "bank" / "bench.toml").write_text(to_toml(Bank("bench", (q,))))
        audio = spoken_answer(". ".join(q.model_answer.split(". ")[: args.sentences]), tmp)
        log = tmp / "events.jsonl"
        server = Server(home, log)
        page = Chromium(server.url, tmp / "profile", audio)  # the home page, as printed
        try:
            painted, since_nav = first_paint(page)
            print(
                f"first paint: {painted - server.url_at:.2f} s after the URL was printed "
                f"({since_nav / 1000:.2f} s after the browser began loading it)"
            )
            page.call("Page.navigate", url=server.page("/practice"))
            time.sleep(1)
            page.wait_for("document.body?.dataset.ready === '1'", 30)
            runs = [take(page, log, i + 1, i == 0) for i in range(args.runs)]
        finally:
            page.close()
            server.stop()
    for i, r in enumerate(runs, 1):
        print(
            f"take {i}: end of recording -> result on the page {r['stop_to_page']:.2f} s "
            f"(left the server after {r['stop_to_sent']:.2f} s; answer {r['answer_seconds']:.1f} s)"
        )
    med = statistics.median(r["stop_to_page"] for r in runs)
    sent = statistics.median(r["stop_to_sent"] for r in runs)
    print(
        f"median over {len(runs)}: end of recording -> result on the page {med:.2f} s "
        f"(left the server {sent:.2f} s)"
    )


if __name__ == "__main__":
    main()
