#!/usr/bin/env python3
"""ab_summary.py — one codec's times in several gpu_bench JSON files side by side.

usage: harness/ab_summary.py [--key tile_ans_us|bitmap4_us|...] NAME=FILE...
(same machine, same run: an A/B; the key is a by_M / layer field, default
tile_ans_us)
"""
import json
import sys


def main(argv):
    key = "tile_ans_us"
    if len(argv) >= 2 and argv[0] == "--key":
        key, argv = argv[1], argv[2:]
    runs = []
    for a in argv:
        name, _, path = a.partition("=")
        try:
            runs.append((name, json.load(open(path))))
        except (OSError, ValueError) as e:
            print(f"{name}: {e}")
    if not runs:
        return 1
    ref = runs[0][1]
    print("device:", ref["provenance"]["device"], "| key:", key)
    for si, s in enumerate(ref["shapes"]):
        print(s["name"], "decode us", " ".join(f"{n}={r['shapes'][si]['decode_us']:.1f}" for n, r in runs))
        for mi, b in enumerate(s["by_M"]):
            print(f"  M={b['M']:<5} cublas {b['cublas_us']:.1f}",
                  " ".join(f"{n}={r['shapes'][si]['by_M'][mi].get(key, float('nan')):.1f}" for n, r in runs))
    def layer(r, mi):  # the layer's field, or the sum of the shapes' where the layer has none (a path's own time)
        if key in r["layer"][mi]:
            return r["layer"][mi][key]
        return sum(s["by_M"][mi].get(key, float("nan")) for s in r["shapes"])

    for mi, L in enumerate(ref["layer"]):
        print(f"layer M={L['M']:<5} cublas {L['cublas_us']:.1f}", " ".join(f"{n}={layer(r, mi):.1f}" for n, r in runs))
    # Each run's own correctness, so that an A/B of a new variant says whether
    # it decoded bit-exact and multiplied within bf16 error before it is read
    # for speed (bf16 operands land between 1e-3 and 1e-2 against fp64).
    err_key = "rel_err_" + key[:-3] if key.endswith("_us") else None
    # A path's time (bitmap4_mma_us, tile_ans_decode_cublas_us) is checked
    # under its codec's error, which covers every path timed for it.
    b0 = ref["shapes"][0]["by_M"][0] if ref["shapes"] and ref["shapes"][0]["by_M"] else {}
    while err_key and err_key not in b0 and "_" in err_key[len("rel_err_"):]:
        err_key = err_key.rsplit("_", 1)[0]
    ok = True
    for n, r in runs:
        errs = [b[err_key] for s in r["shapes"] for b in s["by_M"] if err_key and isinstance(b.get(err_key), (int, float))]
        # null: an output that was not finite (unwritten, NaN); the run's own
        # verdict over every timed output where it gives one.
        failed = [b for s in r["shapes"] for b in s["by_M"] if err_key and err_key in b and b[err_key] is None]
        worst = float("inf") if failed else max(errs) if errs else float("nan")
        good = (bool(r.get("all_bit_exact")) and not failed and (not errs or worst <= 1e-2)
                and r.get("outputs_within_bf16_error", True) is not False)
        ok &= good
        print(f"check {n}: decoders bit-exact {'yes' if r.get('all_bit_exact') else 'NO'}, max {err_key} {worst:.2e}"
              + ("" if good else "  <-- FAILED"))
    return 0 if ok else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
