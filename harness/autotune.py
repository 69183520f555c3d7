#!/usr/bin/env python3
"""autotune.py — the committed tile-ans plan from gpu_bench runs of candidate layouts.

usage: harness/autotune.py OUT.tsv RUN.json...
       harness/autotune.py --bitmap4 OUT.tsv RUN.json...

Each RUN is one `gpu_bench --tile TxK --lane-states S --order O` run (same machine,
same M list; without --plan, so each M's time is the faster path). Per
shape the plan keeps the layout with the smallest geometric mean of
tile-ans time / cuBLAS time over the M list (ties: fewer bits); per
(shape, M) the path that was fastest in that layout's run. gpu_bench
--plan OUT.tsv then encodes and runs by it. The header records where the
numbers came from and every candidate's score and bits per weight.
"""
import json
import math
import os
import sys


B4_PATHS = (("warp", "bitmap4_warp_us"), ("wgmma", "bitmap4_wgmma_us"), ("decode+cublas", "bitmap4_decode_cublas_us"),
            ("pipelined", "bitmap4_pipelined_us"))


def load_runs(paths, plan_key, what):
    """The candidate runs, or None after saying why: each made without a
    plan of this kind (plan_key in its JSON), all on one device."""
    runs = [(p, json.load(open(p))) for p in paths]
    for p, d in runs:
        if d.get(plan_key):
            print(f"autotune: {p} ran with a {what}; candidates must not", file=sys.stderr)
            return None, None
    dev = {d["provenance"]["device"] for _, d in runs}
    if len(dev) != 1:
        print(f"autotune: runs from different devices {sorted(dev)}", file=sys.stderr)
        return None, None
    return runs, dev.pop()


def header(title, runs, rule):
    """A plan's first lines: what it is and for which card, where its numbers came from, its rule."""
    return [title, "# " + ", ".join(sorted({d['provenance']['commit'] + ' ' + d['provenance']['date'] for _, d in runs})), "# " + rule]


def write_plan(out, lines, columns, rows):
    """The plan: header and comment lines, the column names, the rows; echoed."""
    text = "\n".join(lines + [columns] + rows) + "\n"
    with open(out, "w") as f:
        f.write(text)
    print(text, end="")
    return 0


def bitmap4_plan(out, paths):
    runs, dev = load_runs(paths, "bm4_plan", "bitmap4 plan")
    if runs is None:
        return 2
    lines = header(f"# bitmap4 plan for {dev}: harness/autotune.py --bitmap4 from {len(runs)} gpu_bench runs", runs,
                   "per (shape, M) the path with the smallest mean time over the runs (us: warp / wgmma / decode+cublas / pipelined, - where absent)")
    rows = []
    for s0 in runs[0][1]["shapes"]:
        name = s0["name"]
        for b0 in s0["by_M"]:
            M = b0["M"]
            per = []
            for p, d in runs:
                s = next((x for x in d["shapes"] if x["name"] == name), None)
                b = next((x for x in s["by_M"] if x["M"] == M), None) if s else None
                if b is None:
                    print(f"autotune: {p} has no {name} M={M}", file=sys.stderr)
                    return 2
                per.append(b)
            means = []
            for path, key in B4_PATHS:
                ts = [b.get(key) for b in per]
                means.append(sum(ts) / len(ts) if all(isinstance(t, (int, float)) for t in ts) else None)
            cands = [(m, i) for i, m in enumerate(means) if m is not None]
            if not cands:
                print(f"autotune: no bitmap4 path timed for {name} M={M} (runs made with --ta-only?)", file=sys.stderr)
                return 2
            best = min(cands)[1]
            lines.append(f"#   {name:8s} M={M:<5d} " + " / ".join("-" if m is None else f"{m:.1f}" for m in means) + f" -> {B4_PATHS[best][0]}")
            rows.append(f"{name}\t{s0['out']}\t{s0['in']}\t{M}\t{B4_PATHS[best][0]}")
    return write_plan(out, lines, "# shape\tout\tin\tM\tpath", rows)


def main(argv):
    if argv and argv[0] == "--bitmap4":
        if len(argv) < 3:
            print(__doc__.strip(), file=sys.stderr)
            return 2
        return bitmap4_plan(argv[1], argv[2:])
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out = argv[0]
    runs, dev = load_runs(argv[1:], "plan", "plan")
    if runs is None:
        return 2
    lines = header(f"# tile-ans plan for {dev}: harness/autotune.py from {len(runs)} gpu_bench runs", runs,
                   "score = geomean over M of tile-ans time / cuBLAS time (lower is better)")
    rows = []
    names = [s["name"] for s in runs[0][1]["shapes"]]
    for name in names:
        cands = []
        for p, d in runs:
            s = next(x for x in d["shapes"] if x["name"] == name)
            score = math.exp(sum(math.log(b["tile_ans_us"] / b["cublas_us"]) for b in s["by_M"]) / len(s["by_M"]))
            tile, ls = s.get("tile", d["tile"]), s.get("lane_states", d.get("lane_states", 1))
            order = s.get("order", d.get("order", "rows"))
            layout = f"{tile[0]}x{tile[1]}"
            cands.append((score, s["bits_per_weight"], layout, ls, order, s, os.path.basename(p)))
            lines.append(f"#   {name:8s} {layout:8s} lane_states {ls} order {order:4s}: score {score:.3f}, {s['bits_per_weight']:.4f} bits/w ({os.path.basename(p)})")
        score, bits, layout, ls, order, s, src = min(cands, key=lambda c: (round(c[0], 3), c[1]))
        for b in s["by_M"]:
            rows.append(f"{name}\t{s['out']}\t{s['in']}\t{layout}\t{ls}\t{order}\t{b['M']}\t{b.get('fastest_path', b['path'])}")
    return write_plan(out, lines, "# shape\tout\tin\ttile\tlane_states\torder\tM\tpath", rows)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
