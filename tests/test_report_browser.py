"""The HTML report in a real browser (Debian's headless Chromium): same numbers as JSON,
no resource loads beyond the page, no console messages."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from mockint.bank import Bank
from mockint.reports.render import render_html, render_json
from mockint.reports.report import build
from mockint.storage.store import Store

from .test_report import fill

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


def chromium(page: Path, tmp: Path, *extra: str) -> tuple[str, str]:
    exe = shutil.which("chromium")
    assert exe, "chromium is not installed: run 'make test' (it installs it)"
    out = subprocess.run(
        [
            exe,
            *FLAGS,
            f"--user-data-dir={tmp / 'profile'}",
            "--enable-logging=stderr",
            "--v=1",
            *extra,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout, out.stderr


def problems(page: Path, log: str) -> list[str]:
    """Console messages, and any load other than the page itself."""
    found = [m for m in re.findall(r"CONSOLE[^\]]*\] (.*)", log)]
    for url in re.findall(r"FileURLLoader::Start: (\S+)", log):
        if url != page.as_uri():
            found.append(f"loaded {url}")
    # Chromium's own sign-in fetcher fails on this closed network: not the page's doing.
    found += [
        f"network: {line}"
        for line in log.splitlines()
        if "net::ERR_" in line and "google_apis/" not in line
    ]
    return found


class Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "tr" and "data-category" in a:
            self.rows.append(a)


def test_checker_catches_console_errors_and_stray_loads(tmp_path: Path) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text('<!doctype html><img src="missing.png"><script>console.error("boom")</script>')
    _, log = chromium(bad, tmp_path, "--dump-dom")
    found = problems(bad, log)
    assert any('"boom"' in p for p in found) and any("missing.png" in p for p in found)


def test_html_report_in_chromium_matches_json(
    tmp_path: Path, home: Path, resume_bank: Bank
) -> None:
    fill(home, resume_bank)
    with Store(home / "mockint.db") as s:
        rep = build(s.attempts(), resume_bank)
    page = tmp_path / "report.html"
    page.write_text(render_html(rep), encoding="utf-8")
    expected = json.loads(render_json(rep))

    dom, log = chromium(page, tmp_path, "--dump-dom")
    assert problems(page, log) == []
    rows = Rows()
    rows.feed(dom)
    assert [r["data-category"] for r in rows.rows] == [c["name"] for c in expected["categories"]]
    for r, c in zip(rows.rows, expected["categories"], strict=True):
        for key in ("attempts", "mean", "best", "latest", "trend"):
            want = "" if c[key] is None else pytest.approx(float(c[key]))
            got = r[f"data-{key}"]
            assert (float(got) if got else "") == want, (c["name"], key)
    assert f'data-readiness="{expected["readiness"]}"' in dom
    assert dom.count('class="attempt"') == expected["attempts"]

    shot = tmp_path / "report.png"
    _, log = chromium(
        page, tmp_path, f"--screenshot={shot}", "--window-size=1200,2400", "--hide-scrollbars"
    )
    assert problems(page, log) == []
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one


HARNESS = """<!doctype html><html><body><iframe id="f" src="%s"></iframe><pre id="out">waiting</pre>
<script>
const f = document.getElementById("f");
f.onload = () => {
  const out = document.getElementById("out");
  const audios = [...f.contentDocument.querySelectorAll("audio")];
  if (!audios.length) { out.textContent = "[]"; return; }
  const res = []; let done = 0;
  const finish = () => { if (++done === audios.length) out.textContent = JSON.stringify(res); };
  audios.forEach((a, i) => {
    a.addEventListener("loadedmetadata", () => { res[i] = a.duration; finish(); });
    a.addEventListener("error", () => { res[i] = "error " + (a.error && a.error.code); finish(); });
    if (a.readyState >= 1) { res[i] = a.duration; finish(); } else { a.load(); }
  });
};
</script></body></html>"""


def durations(page: Path, tmp: Path) -> tuple[list[object], str]:
    """The durations the browser reads from the page's audio elements (a test harness page,
    beside it, reads them through an iframe; the report itself has no script)."""
    harness = page.with_name(f"harness-{page.stem}.html")
    harness.write_text(HARNESS % page.name)
    dom, log = chromium(
        harness, tmp, "--allow-file-access-from-files", "--virtual-time-budget=15000", "--dump-dom"
    )
    harness.unlink()
    m = re.search(r'<pre id="out">(.*?)</pre>', dom)
    assert m, dom[-500:]
    return json.loads(m.group(1)), log


def test_html_report_plays_each_recording_from_the_data_directory(
    tmp_path: Path, home: Path, resume_bank: Bank
) -> None:
    from click.testing import CliRunner

    from mockint.cli.main import cli

    fill(home, resume_bank)  # one answer has a 2.0 s recording
    r = CliRunner().invoke(cli, ["report", "--format", "html"])
    assert r.exit_code == 0 and r.output == f"Wrote {home / 'report.html'}\n"
    page = home / "report.html"
    found, log = durations(page, tmp_path)
    assert len(found) == 1 and found[0] == pytest.approx(2.0, abs=0.1), found
    loads = re.findall(r"FileURLLoader::Start: (\S+)", log)
    assert loads and all(u.startswith(home.as_uri() + "/") for u in loads), loads
    assert [p for p in problems(page, log) if not p.startswith("loaded ")] == []

    # --embed-audio: one portable file, anywhere
    portable = tmp_path / "elsewhere" / "portable.html"
    portable.parent.mkdir()  # a folder of the user's own: report -o makes none
    r = CliRunner().invoke(
        cli, ["report", "--format", "html", "--embed-audio", "-o", str(portable)]
    )
    assert r.exit_code == 0 and "1 recording inside" in r.output
    found, log = durations(portable, tmp_path)
    assert len(found) == 1 and found[0] == pytest.approx(2.0, abs=0.1), found
    ARTIFACTS.mkdir(exist_ok=True)  # kept after the run, for a person to look at
    shot = ARTIFACTS / "report-with-audio.png"
    chromium(page, tmp_path, f"--screenshot={shot}", "--window-size=1200,3000")
    assert shot.stat().st_size > 20_000
