#!/usr/bin/env bash
# autotune_check.sh — harness/autotune.py picks per shape the candidate
# layout with the smaller geometric mean of tile-ans / cuBLAS time (ties: fewer
# bits) and per (shape, M) the fastest path; with --bitmap4, per (shape, M)
# bitmap4's path of smallest mean time; it refuses runs from different
# devices or runs made with a plan; gpu_bench refuses bad --plan / --bm4-plan / --ms /
# --lane-states / --order before touching a GPU; ab_summary.py flags an A/B
# run that is not bit-exact or whose GEMM error is out of bounds. No GPU needed.
set -u
B=${1:-build/gpu_bench}
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
fail=0
ok() { echo "ok   autotune: $1"; }
bad() { echo "FAIL autotune: $1"; fail=1; }
# Two candidate runs: A wins qkv, B wins o (M = 1 and 16).
python3 - "$d" <<'PY'
import json, sys, os
d = sys.argv[1]
def run(name, tile, ls, t, bits, dev="GPU X", plan=None, order=None):
    shapes = []
    for sh, (t1, t16, p16) in t.items():
        shapes.append({"name": sh, "out": 64, "in": 128, "tile": tile, "lane_states": ls, "bits_per_weight": bits,
                       "by_M": [{"M": 1, "cublas_us": 10.0, "tile_ans_us": t1, "path": "fused-gemv", "fastest_path": "fused-gemv"},
                                {"M": 16, "cublas_us": 10.0, "tile_ans_us": t16, "path": p16, "fastest_path": p16}]})
        if order: shapes[-1]["order"] = order
    json.dump({"provenance": {"device": dev, "commit": "c0ffee", "date": "2026-01-01T00:00:00Z"}, "tile": tile, "plan": plan,
               "shapes": shapes, "layer": []}, open(os.path.join(d, name), "w"))
run("a.json", [64, 256], 1, {"qkv": (12, 20, "fused-mma"), "o": (15, 30, "fused-mma")}, 10.67)
run("b.json", [32, 256], 2, {"qkv": (13, 21, "decode+cublas"), "o": (11, 25, "decode+cublas")}, 10.72, order="mma")
run("c.json", [32, 256], 2, {"qkv": (13, 21, "fused-mma")}, 10.72, dev="GPU Y")
run("p.json", [32, 256], 2, {"qkv": (13, 21, "fused-mma")}, 10.72, plan="kernels/plan.tsv")
PY
if python3 harness/autotune.py "$d/plan.tsv" "$d/a.json" "$d/b.json" > /dev/null; then
    grep -qP '^qkv\t64\t128\t64x256\t1\trows\t16\tfused-mma$' "$d/plan.tsv" && ok "qkv takes A's layout and its M=16 path" || bad "qkv row: $(grep ^qkv "$d/plan.tsv" | tr '\n' ' ')"
    grep -qP '^o\t64\t128\t32x256\t2\tmma\t16\tdecode\+cublas$' "$d/plan.tsv" && ok "o takes B's layout (MMA order) and its M=16 path" || bad "o row: $(grep ^o "$d/plan.tsv" | tr '\n' ' ')"
else bad "autotune.py failed on two valid runs"; fi
python3 harness/autotune.py "$d/x.tsv" "$d/a.json" "$d/c.json" > /dev/null 2>&1 && bad "runs from two devices accepted" || ok "runs from two devices refused"
python3 harness/autotune.py "$d/x.tsv" "$d/a.json" "$d/p.json" > /dev/null 2>&1 && bad "a run made with a plan accepted" || ok "a run made with a plan refused"
# The bitmap4 plan: per (shape, M) the path with the smallest mean time
# over the runs; a path absent from a run is no candidate.
python3 - "$d" <<'PY'
import json, sys, os
d = sys.argv[1]
def run(name, t, dev="GPU X", plan=None):
    shapes = [{"name": sh, "out": 128, "in": 256, "by_M": [dict(M=M, cublas_us=10.0, **{k: v for k, v in ts.items() if v is not None})
                                                         for M, ts in ms.items()]} for sh, ms in t.items()]
    json.dump({"provenance": {"device": dev, "commit": "c0ffee", "date": "2026-01-01T00:00:00Z"}, "bm4_plan": plan,
               "shapes": shapes, "layer": []}, open(os.path.join(d, name), "w"))
W, G, D, P = "bitmap4_warp_us", "bitmap4_wgmma_us", "bitmap4_decode_cublas_us", "bitmap4_pipelined_us"
run("b4a.json", {"qkv": {1: {W: 9.0, G: 9.5, D: 30.0}, 64: {W: 20.0, G: 12.0, D: 25.0}, 256: {G: 40.0, D: 30.0, P: 31.0},
                         4096: {G: 90.0, D: 80.0, P: 78.0}}})
run("b4b.json", {"qkv": {1: {W: 9.4, G: 8.8, D: 30.0}, 64: {W: 19.0, G: 12.5, D: 25.0}, 256: {G: 40.0, D: 31.0, P: 31.5},
                         4096: {G: 90.0, D: 80.0, P: 79.0}}})
run("b4c.json", {"qkv": {1: {W: 9.0, G: 9.5, D: 30.0}}}, dev="GPU Y")
run("b4p.json", {"qkv": {1: {W: 9.0, G: 9.5, D: 30.0}}}, plan="kernels/plan-bm4.tsv")
PY
if python3 harness/autotune.py --bitmap4 "$d/b4.tsv" "$d/b4a.json" "$d/b4b.json" > /dev/null; then
    grep -qP '^qkv\t128\t256\t1\twgmma$' "$d/b4.tsv" && ok "bitmap4 M=1: wgmma (mean 9.15 against warp 9.2)" || bad "bitmap4 M=1 row: $(grep -P '\t1\t' "$d/b4.tsv")"
    grep -qP '^qkv\t128\t256\t64\twgmma$' "$d/b4.tsv" && ok "bitmap4 M=64: wgmma" || bad "bitmap4 M=64 row: $(grep -P '\t64\t' "$d/b4.tsv")"
    grep -qP '^qkv\t128\t256\t256\tdecode\+cublas$' "$d/b4.tsv" && ok "bitmap4 M=256: decode+cublas (no warp path; pipelined slower)" || bad "bitmap4 M=256 row: $(grep -P '\t256\t' "$d/b4.tsv")"
    grep -qP '^qkv\t128\t256\t4096\tpipelined$' "$d/b4.tsv" && ok "bitmap4 M=4096: pipelined (mean 78.5 against 80)" || bad "bitmap4 M=4096 row: $(grep -P '\t4096\t' "$d/b4.tsv")"
else bad "autotune.py --bitmap4 failed on two valid runs"; fi
python3 harness/autotune.py --bitmap4 "$d/x.tsv" "$d/b4a.json" "$d/b4c.json" > /dev/null 2>&1 && bad "bitmap4: runs from two devices accepted" || ok "bitmap4: runs from two devices refused"
python3 harness/autotune.py --bitmap4 "$d/x.tsv" "$d/b4a.json" "$d/b4p.json" > /dev/null 2>&1 && bad "bitmap4: a run made with a plan accepted" || ok "bitmap4: a run made with a plan refused"
if [ -x "$B" ]; then
    printf 'qkv 7168 5120 1 mma\n' > "$d/badb4.tsv"
    out=$("$B" --bm4-plan "$d/badb4.tsv" 2>&1); rc=$?
    [ $rc -eq 2 ] && ok "gpu_bench --bm4-plan with an unknown path -> rc 2: $(head -n 1 <<<"$out")" || bad "gpu_bench --bm4-plan bad path -> rc $rc: $out"
    for args in "--pipe 4x" "--pipe 0x8" "--pipe 4x-1" "--pipe ," "--pipe 4x8,x" "--pipe 4x8y" "--pipe-min-m 0" "--pipe-min-m 9z"; do
        out=$("$B" $args 2>&1); rc=$?
        [ $rc -eq 2 ] && ok "gpu_bench $args -> rc 2: $(head -n 1 <<<"$out")" || bad "gpu_bench $args -> rc $rc: $out"
    done
    printf 'qkv 7168 5120 32x256 3 1 fused-gemv\n' > "$d/bad.tsv"
    printf 'qkv 7168 5120 32x256 2 cols 1 fused-mma\n' > "$d/badorder.tsv"
    for args in "--plan $d/bad.tsv" "--plan $d/badorder.tsv" "--plan $d/none.tsv" "--ms 0" "--ms 1,x" "--lane-states 3" "--order cols"; do
        out=$("$B" $args 2>&1); rc=$?
        [ $rc -eq 2 ] && ok "gpu_bench $args -> rc 2: $(head -n 1 <<<"$out")" || bad "gpu_bench $args -> rc $rc: $out"
    done
fi
# harness/ab_summary.py: an A/B run that is not bit-exact, or whose GEMM is
# off by more than bf16 error, is flagged and fails the summary (rc 3).
python3 - "$d" <<'PY'
import json, sys, os
d = sys.argv[1]
def run(name, exact, err, within=None):
    by_m = [{"M": 1, "cublas_us": 10.0, "bitmap4_us": 9.0, "rel_err_bitmap4": err}]
    r = {"provenance": {"device": "GPU X"}, "all_bit_exact": exact,
         "shapes": [{"name": "qkv", "decode_us": 5.0, "by_M": by_m}], "layer": []}
    if within is not None: r["outputs_within_bf16_error"] = within
    json.dump(r, open(os.path.join(d, name), "w"))
run("ab-good.json", True, 1.7e-3)
run("ab-inexact.json", False, 1.7e-3)
run("ab-err.json", True, 0.5)
run("ab-nan.json", True, None)               # an unwritten output: gpu_bench writes null
run("ab-other.json", True, 1e-3, False)      # another path's output out of bounds (the run's verdict)
PY
for v in good:0 inexact:3 err:3 nan:3 other:3; do
    out=$(python3 harness/ab_summary.py --key bitmap4_us "x=$d/ab-good.json" "y=$d/ab-${v%%:*}.json" 2>&1); rc=$?
    [ $rc -eq "${v##*:}" ] && ok "ab_summary with the ${v%%:*} run -> rc $rc" || bad "ab_summary with the ${v%%:*} run -> rc $rc: $out"
done
exit $fail
