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
    for mi, L in enumerate(ref["layer"]):
        print(f"layer M={L['M']:<5} cublas {L['cublas_us']:.1f}",
              " ".join(f"{n}={r['layer'][mi].get(key, float('nan')):.1f}" for n, r in runs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
