"""GUI benchmark: figures measured in one run, each part in a fresh process.

(a) launch: time from starting the process to the main window being shown
    (target < 1.5 s), and whether onnxruntime / torch were imported by then
    (they must not be: the worker thread imports them after the window is up);
(b) stall: the longest gap of a 10 ms QTimer heartbeat on the GUI thread while
    "Analyse all" runs over a folder of 100 real X-rays (target < 50 ms);
(c) memory: resident memory with 1,000 images in the browser after scrolling
    through every row (thumbnails are decoded lazily into a bounded cache).

Usage: python benchmarks/gui_benchmark.py [--weights BUNDLE] [--parts launch,stall,memory]
Without --weights: the shipped bundle, else a randomly initialised 224 px one (same compute).
Runs offscreen (QT_QPA_PLATFORM=offscreen) unless a display is set explicitly.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_common import bundle_path  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
LAUNCH_RUNS = 3


# -- helpers run inside the child processes ------------------------------------------


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _linked_folder(folder: Path, sources: list[Path], count: int) -> Path:
    """``count`` symlinks cycling through ``sources`` (real files, no copies)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        src = sources[i % len(sources)]
        (folder / f"img_{i:04d}{src.suffix}").symlink_to(src)
    return folder


def _window(weights: str | None):
    from cardioview.gui.app import create_application, predictor_factory
    from cardioview.gui.main_window import MainWindow

    app = create_application()
    window = MainWindow(predictor_factory(Path(weights) if weights else None))
    window.resize(1480, 920)
    return app, window


def child_launch(weights: str | None, t0: float) -> dict:
    from PySide6.QtCore import QTimer

    app, window = _window(weights)
    result = {}

    def shown() -> None:
        result["shown_s"] = time.time() - t0
        result["onnxruntime_imported"] = "onnxruntime" in sys.modules
        result["torch_imported"] = "torch" in sys.modules
        app.quit()

    window.show()
    QTimer.singleShot(0, shown)  # runs once the event loop has shown the window
    app.exec()
    window.shutdown()
    return result


def child_stall(weights: str | None, tmp: str) -> dict:
    from PySide6.QtCore import QTimer

    sources = sorted((SHARED / "nih1024" / "images").glob("*.png"))
    folder = _linked_folder(Path(tmp) / "hundred", sources, 100)
    app, window = _window(weights)
    window.show()
    _wait_loop(app, lambda: window.model_info is not None, 120)
    gaps: list[tuple[str, float]] = []
    phase = ["open"]
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps.append((phase[0], (now - last[0]) * 1000))
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setInterval(10)
    heartbeat.timeout.connect(beat)
    done = {}
    window.folder_opened.connect(lambda n: done.setdefault("opened", n))
    window.result_shown.connect(lambda k: done.setdefault("first", k))
    window.batch_done.connect(lambda n, c: done.setdefault("batch", n))
    heartbeat.start()
    window.open_folder(folder)
    _wait_loop(app, lambda: "first" in done, 120)  # the user sees the first image and its result...
    phase[0] = "analyse"
    start = time.perf_counter()
    window.analyse_all()  # ...then clicks "Analyse all"
    _wait_loop(app, lambda: "batch" in done, 900)
    elapsed = time.perf_counter() - start
    heartbeat.stop()
    opening = [g for p, g in gaps[1:] if p == "open"]
    analysing = [g for p, g in gaps if p == "analyse"]
    result = {
        "images": len(window.state.predictions),
        "model": window.model_info.model_id,
        "device": window.model_info.device,
        "total_s": elapsed,
        "max_gap_ms": max(analysing),
        "p99_gap_ms": statistics.quantiles(analysing, n=100)[98],
        "median_gap_ms": statistics.median(analysing),
        "beats": len(analysing),
        "open_max_gap_ms": max(opening),
    }
    window.shutdown()
    return result


def _wait_loop(app, condition, timeout_s: float) -> None:
    """Wait while the Qt event loop runs (timers fire as in normal use)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(20)
    deadline = time.monotonic() + timeout_s
    poll.timeout.connect(lambda: loop.quit() if condition() or time.monotonic() > deadline else None)
    poll.start()
    loop.exec()
    poll.stop()
    if not condition():
        raise TimeoutError("benchmark step timed out")


def child_memory(tmp: str) -> dict:
    from cardioview.gui.study_model import THUMBNAIL_CACHE

    sources = sorted((SHARED / "cxr128").rglob("*.png"))[:1000]
    folder = _linked_folder(Path(tmp) / "thousand", sources, 1000)
    app, window = _window(None)  # the browser's memory does not depend on the model
    window.show()
    app.processEvents()
    before = _rss_mb()
    done = {}
    window.folder_opened.connect(lambda n: done.setdefault("opened", n))
    window.open_folder(folder)
    _wait_loop(app, lambda: "opened" in done, 300)
    after_scan = _rss_mb()
    tree, proxy = window.browser.tree, window.browser.proxy
    keys = window.browser.visible_keys()
    start = time.perf_counter()
    for i in range(0, len(keys), 8):  # scroll through every row as a user paging down would
        tree.scrollTo(proxy.mapFromSource(window.browser.model.items[keys[i]].index()))
        app.processEvents()
    window.loader._thumb_pool.waitForDone(600_000)
    app.processEvents()
    scrolled = time.perf_counter() - start
    result = {
        "images": done["opened"],
        "rss_before_mb": before,
        "rss_after_scan_mb": after_scan,
        "rss_after_scrolling_mb": _rss_mb(),
        "thumbnails_cached": len(window.browser.model.thumbnails),
        "thumbnail_cache_limit": THUMBNAIL_CACHE,
        "scroll_s": scrolled,
    }
    window.shutdown()
    return result


# -- the parent: runs each part in a fresh process ----------------------------------------


def _run_child(args: list[str], env: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], env=env, capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise RuntimeError(f"benchmark part {args[1]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=None)
    parser.add_argument("--parts", default="launch,stall,memory")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(REPO))
        part, *rest = args.child
        if part == "launch":
            result = child_launch(rest[0] or None, float(rest[1]))
        elif part == "stall":
            result = child_stall(rest[0] or None, rest[1])
        else:
            result = child_memory(rest[0])
        print(json.dumps(result))
        return 0

    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env["CARDIOVIEW_CONFIG_DIR"] = str(tmp / "config")
        env["CARDIOVIEW_LOG_DIR"] = str(tmp / "logs")
        parts = args.parts.split(",")
        weights = str(bundle_path(args.weights, tmp)) if {"launch", "stall"} & set(parts) else ""
        if "launch" in parts:
            runs = [_run_child(["--child", "launch", weights, repr(time.time())], env) for _ in range(LAUNCH_RUNS)]
            shown = sorted(r["shown_s"] for r in runs)
            print(
                f"(a) launch -> window shown: median {statistics.median(shown):.2f} s "
                f"(runs {', '.join(f'{s:.2f}' for s in shown)}; target < 1.5 s); "
                f"onnxruntime imported by then: {any(r['onnxruntime_imported'] for r in runs)}, "
                f"torch: {any(r['torch_imported'] for r in runs)}"
            )
        if "stall" in parts:
            if not (SHARED / "nih1024").is_dir():
                print("(b) skipped: needs ../shared/data/nih1024")
            else:
                r = _run_child(["--child", "stall", weights, tmp_name], env)
                print(
                    f"(b) Analyse all, {r['images']} images ({r['model']} on {r['device']}) in {r['total_s']:.1f} s: "
                    f"longest GUI-thread stall {r['max_gap_ms']:.0f} ms (target < 50 ms); heartbeat gap "
                    f"p99 {r['p99_gap_ms']:.0f} ms, median {r['median_gap_ms']:.1f} ms over {r['beats']} beats; "
                    f"longest stall while opening the folder and showing its first image: {r['open_max_gap_ms']:.0f} ms"
                )
        if "memory" in parts:
            if not (SHARED / "cxr128").is_dir():
                print("(c) skipped: needs ../shared/data/cxr128")
            else:
                r = _run_child(["--child", "memory", tmp_name], env)
                print(
                    f"(c) {r['images']} images in the browser: RSS {r['rss_before_mb']:.0f} MB empty window, "
                    f"{r['rss_after_scan_mb']:.0f} MB after the scan, {r['rss_after_scrolling_mb']:.0f} MB after "
                    f"scrolling through every row ({r['thumbnails_cached']} thumbnails cached, limit "
                    f"{r['thumbnail_cache_limit']}; scrolling took {r['scroll_s']:.1f} s)"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
