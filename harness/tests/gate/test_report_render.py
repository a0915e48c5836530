"""report.html really renders: headless Chromium screenshots of generated reports.

Two reports from the same scenarios differ only in how many cells deviate; the deviates colour
must cover more pixels in the one with more deviations (the legend shows every colour once, so
merely finding a colour would prove nothing about the matrix)."""

import shutil
import subprocess

import pytest

from gate_env import header, make_run_dir, result_line
from hsprobe import report

pytestmark = pytest.mark.e2e

from PIL import Image as PIL  # python3-pil, installed by `make deps`
W, H = 1280, 2000


def _rgb(hexcol):
    return tuple(int(hexcol[i:i + 2], 16) for i in (1, 3, 5))


def _screenshot(html, out):
    chromium = shutil.which("chromium")
    assert chromium, "chromium is installed by `make deps` (DEB_PKGS)"
    proc = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                           "--hide-scrollbars", f"--screenshot={out}",
                           f"--window-size={W},{H}", f"file://{html}"],
                          capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0 and out.is_file(), proc.stderr[-2000:]
    return PIL.open(out).convert("RGB")


def _count(img, colour, tol=4):
    want = _rgb(colour)
    return sum(n for n, px in img.getcolors(W * H)
               if all(abs(a - b) <= tol for a, b in zip(px, want)))


def _run(tmp_path, name, failing):
    ids = [f"t.s{i}" for i in range(12)]
    scns = [header(i, spec=f"tor-spec §4.{n % 3 + 1}", peers=["relay"]) for n, i in enumerate(ids)]
    lines = [result_line(i, "fail" if i in failing else "pass", spec=s["spec"])
             for i, s in zip(ids, scns)]
    base = "".join(f"{i}\txfail\tknown deviation\n" if i in failing else f"{i}\tpass\n"
                   for i in ids)
    d = make_run_dir(tmp_path / name, scns,
                     {"relay": {"baseline": base, "selected": ids, "lines": (1, len(ids))}}, lines)
    return report.write_report(d)["html"]


def test_report_renders_with_matrix_colours(tmp_path):
    few = _screenshot(_run(tmp_path, "few", {"t.s1"}), tmp_path / "few.png")
    many = _screenshot(_run(tmp_path, "many", {"t.s1", "t.s2", "t.s4", "t.s5", "t.s7"}),
                       tmp_path / "many.png")
    assert few.size == (W, H) and many.size == (W, H)
    colours = few.getcolors(W * H)
    assert colours and len(colours) > 20, "a blank or single-colour page"
    top = max(n for n, _ in colours)
    assert top < 0.95 * W * H, "almost everything is one colour: nothing rendered"
    conf, dev = report.COLOURS["conforms"], report.COLOURS["deviates"]
    # Both matrix colours are present, well beyond a legend swatch.
    assert _count(few, conf) > 5000 and _count(few, dev) > 1000
    # Four more deviating cells (and section marks that flip) turn conforms pixels into
    # deviates pixels: at least 4 × a minimal cell (100 × 15 px) each way.
    assert _count(many, dev) - _count(few, dev) > 4 * 1500
    assert _count(few, conf) - _count(many, conf) > 4 * 1500
