#!/usr/bin/env bash
# Build the clinical bundle and prove it works: packaging/test_bundle.sh [--no-build]
#
# 1. builds dist/CardioView/ (packaging/build.sh; installs PyInstaller into the venv if missing)
# 2. checks the size budget (<= 400 MB) and prints the largest parts
# 3. runs `CardioView --self-test` with a bare environment (no PYTHONPATH, no venv on PATH),
#    with no network (a fresh network namespace, `unshare -n`, where allowed), offscreen
# 4. times start-up to the window shown (and to the first result shown) for the bundle and
#    the source install, alternating runs, median of 3 each; the bundle must be within 2x
# Exit code 0 only when every step passed. Linux (the CI machine); on Windows and macOS run
# `CardioView --self-test` by hand (README). Environment: PYTHON (default .venv/bin/python),
# CARDIOVIEW_BUNDLE_WEIGHTS (weights to ship; default weights/cxa_dense121),
# CARDIOVIEW_SIZE_BUDGET_MB (default 400).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
PYTHON=${PYTHON:-.venv/bin/python}
[[ "$PYTHON" == /* ]] || PYTHON=$REPO/$PYTHON
SIZE_BUDGET_MB=${CARDIOVIEW_SIZE_BUDGET_MB:-400}
STARTUP_RATIO_LIMIT=2.0
APP=dist/CardioView/CardioView
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cardioview-bundle-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
failures=()

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", b - a }'; }

# --- 1. build ------------------------------------------------------------------------------------------------
if [[ "${1:-}" != "--no-build" ]]; then
    start=$(now)
    packaging/build.sh
    build_s=$(elapsed "$start" "$(now)")
    echo "build time: ${build_s} s"
fi
[[ -x "$APP" ]] || { echo "test_bundle.sh: $APP was not built" >&2; exit 1; }

# --- 2. size -------------------------------------------------------------------------------------------------
size_mb=$(du -sm dist/CardioView | cut -f1)
echo "bundle size: ${size_mb} MB ($(find dist/CardioView -type f | wc -l) files; budget ${SIZE_BUDGET_MB} MB)"
echo "largest parts (MB):"
# sed -n, not head: head exits after 12 lines and, under pipefail, sort's SIGPIPE (141) would end the script.
( cd dist/CardioView && du -sm _internal/* | sort -rn | sed -n '1,12s/^/  /p' )
echo "largest files (MB):"
( cd dist/CardioView && find . -type f -size +4M -printf '%s %p\n' | sort -rn \
    | awk 'NR <= 12 { printf "  %5.1f  %s\n", $1 / 1048576, $2 }' )
(( size_mb <= SIZE_BUDGET_MB )) || failures+=("size ${size_mb} MB > ${SIZE_BUDGET_MB} MB")
for forbidden in torch torchvision cv2 opencv_python_headless.libs PyQt5 PyQt6 PySide2 matplotlib scipy sklearn; do
    if [[ -e "dist/CardioView/_internal/$forbidden" ]]; then failures+=("the bundle contains $forbidden"); fi
done

# --- 3. self-test --------------------------------------------------------------------------------------------
# A bare environment: what a workstation without Python has. No network where the kernel lets us drop it.
bare=(env -i "HOME=$WORK/home" "PATH=/usr/bin:/bin" "TMPDIR=$WORK" "LANG=C.UTF-8" "QT_QPA_PLATFORM=offscreen")
offline=()
if unshare -n true 2>/dev/null; then offline=(unshare -n); network="no network (unshare -n)"; else
    network="network not isolated (unshare -n not permitted here)"; fi
mkdir -p "$WORK/home"
echo "self-test ($network, bare environment):"
start=$(now)
set +e
"${offline[@]}" "${bare[@]}" "$APP" --self-test --out "$WORK/selftest" 2>&1 | sed 's/^/  /'
selftest_rc=${PIPESTATUS[0]}
set -e
echo "self-test exit code ${selftest_rc} in $(elapsed "$start" "$(now)") s"
(( selftest_rc == 0 )) || failures+=("self-test exit code $selftest_rc")

# --- 4. start-up time: bundle vs source install ----------------------------------------------------------------
# --quit-after exits once the window is shown and the model loaded; with the sample PNG and
# --screenshot, once its result is drawn. Same weights, settings and log folders for both.
source_weights=${CARDIOVIEW_BUNDLE_WEIGHTS:-$REPO/weights/cxa_dense121}
sample=$REPO/resources/samples/nih_00000001_000_cardiomegaly.png
run_timed() {  # run_timed COMMAND...: prints its wall-clock seconds; non-zero status when it failed
    local t0 t1
    t0=$(now)
    "$@" >"$WORK/last_run.log" 2>&1 || { echo "FAILED"; return 1; }
    t1=$(now)
    elapsed "$t0" "$t1"
}
gui_env=("${bare[@]}" "CARDIOVIEW_CONFIG_DIR=$WORK/config" "CARDIOVIEW_LOG_DIR=$WORK/log")
# --backend onnx for both: the source install's "auto" may first import torch to look for a GPU.
frozen_cmd=("${gui_env[@]}" "$APP" gui --backend onnx)
source_cmd=("${gui_env[@]}" "CARDIOVIEW_WEIGHTS=$source_weights" "$PYTHON" -m cardioview gui --backend onnx)
declare -A times gui_failed
for scenario in window result; do
    extra=(--quit-after)
    [[ $scenario == result ]] && extra=("$sample" --screenshot "$WORK/shot.png" --quit-after)
    run_timed "${frozen_cmd[@]}" "${extra[@]}" >/dev/null || true   # warm the file cache once each
    run_timed "${source_cmd[@]}" "${extra[@]}" >/dev/null || true
    for i in 1 2 3; do
        for kind in frozen source; do
            if [[ $kind == frozen ]]; then cmd=("${frozen_cmd[@]}"); else cmd=("${source_cmd[@]}"); fi
            if ! t=$(run_timed "${cmd[@]}" "${extra[@]}"); then
                t=nan
                [[ -n "${gui_failed[$kind]:-}" ]] || failures+=("$kind gui run failed: $(tail -n 1 "$WORK/last_run.log")")
                gui_failed[$kind]=1
            fi
            times[$scenario,$kind]="${times[$scenario,$kind]:-} $t"
        done
    done
done
summary=$("$PYTHON" - "${times[window,frozen]}" "${times[window,source]}" "${times[result,frozen]}" \
    "${times[result,source]}" "$STARTUP_RATIO_LIMIT" <<'EOF'
import math, statistics, sys
wf, ws, rf, rs = ([float(x) for x in arg.split()] for arg in sys.argv[1:5])
limit = float(sys.argv[5])
ok = True
for label, frozen, source in (("start-up to window shown", wf, ws), ("start-up to first result shown", rf, rs)):
    f, s = statistics.median(frozen), statistics.median(source)
    ratio = f / s if s and not math.isnan(f) else float("nan")
    print(f"{label}: bundle {f:.2f} s, source install {s:.2f} s, ratio {ratio:.2f} (median of 3; limit {limit}x)")
    ok &= ratio <= limit
print("OK" if ok else "OVER")
EOF
)
echo "$summary" | sed -n 1,2p
[[ $(echo "$summary" | tail -n 1) == OK ]] || failures+=("bundle start-up slower than ${STARTUP_RATIO_LIMIT}x the source install")

# --- verdict -------------------------------------------------------------------------------------------------
if (( ${#failures[@]} )); then
    printf 'test_bundle.sh FAILED: %s\n' "${failures[@]}" >&2
    exit 1
fi
echo "test_bundle.sh: bundle OK (${size_mb} MB, self-test passed, start-up within ${STARTUP_RATIO_LIMIT}x)"
