#!/usr/bin/env python3
"""dfloat11_real.py — the real DFloat11 decode kernel on our tensors (GPU machine).

DFloat11's wheel (dfloat11 0.5.0, fetched by `make vendor` into .vendor/) ships
its decoder as PTX (`decode.ptx`) launched through CuPy. This script feeds it
the very tensors `gpu_bench --dump DIR` encoded with our `dfloat11` codec —
same Huffman code lengths, same 8-byte thread chunks, same 5-bit gaps — after
translating the framing the way DFloat11's own `encode_weights` lays it out:
its byte-indexed LUT hierarchy built from our canonical code (their
`get_luts`, reimplemented here), output positions per 512-thread block. It
checks the output is bit-exact, then times, with CUDA events and L2 flushed
before each pass: the decode alone, cuBLAS (torch.matmul, same process) at
M=1, and the DFloat11 pipeline (decode, then matmul) — the number DFloat11's
README compares with bf16 (~2x).

usage: dfloat11_real.py DUMP_DIR PKG_DIR OUT.json [--reps N]
"""
import datetime
import json
import os
import struct
import subprocess
import sys

import numpy as np
import torch
import cupy as cp

SHAPES = [("qkv", 7168, 5120), ("o", 5120, 5120), ("gate_up", 27648, 5120), ("down", 5120, 13824)]
THREADS, CHUNK = 512, 8          # DFloat11's launch: 512 threads x 8 bytes
OUR_BLOCK = 256                  # codecs/dfloat11: one output position per 256 threads
HDR = struct.Struct("<IHBBQQQ")  # magic version dtype pad rows cols enc_bits, then len[256]


def canonical(lens):
    """Codes from lengths exactly as codecs/huffman/huffman.c assigns them."""
    bl = [0] * 14
    for l in lens:
        if l:
            bl[l] += 1
    nxt, code = [0] * 14, 0
    for l in range(1, 13):
        code = (code + bl[l - 1]) << 1
        nxt[l] = code
    table = {}
    for s in range(256):
        if lens[s]:
            table[s] = (lens[s], nxt[lens[s]])
            nxt[lens[s]] += 1
    return table


def get_luts(table):
    """DFloat11's LUT hierarchy (dfloat11_utils.get_luts) for a code table."""
    prefixes = [""]
    for key, (bits, val) in table.items():
        p = bin(val)[2:].rjust(bits, "0")[:((bits - 1) // 8 * 8)]
        if p not in prefixes:
            prefixes.append(p)
    prefixes.sort(key=len)
    luts = np.zeros((len(prefixes), 256), dtype=np.uint8)
    for pi, p in enumerate(prefixes):
        d, pl = {}, len(p) // 8
        for key, (bits, val) in table.items():
            b = bin(val)[2:].rjust(bits, "0")
            if b.startswith(p):
                if (bits - 1) // 8 == pl:
                    d[int(b[pl * 8:].ljust(8, "0"), 2)] = key
                else:
                    d[int(b[pl * 8:pl * 8 + 8], 2)] = 256 - prefixes.index(b[:pl * 8 + 8])
        cur = 0
        for i in range(256):
            cur = d.get(i, cur)
            luts[pi, i] = cur
    lens = np.zeros((1, 256), dtype=np.uint8)
    for key, (bits, _) in table.items():
        lens[0, key] = bits
    return np.concatenate((luts, lens), axis=0)


def translate(blob, n):
    """Our dfloat11 blob -> DFloat11's (luts, encoded, sign_mantissa, output_positions, gaps)."""
    magic, version, dtype, _, rows, cols, enc_bits = HDR.unpack_from(blob, 0)
    assert magic == 0x46445A57 and rows * cols == n, "not a wzip dfloat11 blob of this shape"
    lens = list(blob[HDR.size:HDR.size + 256])
    enc_b = (enc_bits + 63) // 64 * 8
    nthreads = enc_b // CHUNK
    nblocks = (nthreads + OUR_BLOCK - 1) // OUR_BLOCK
    gaps_off = HDR.size + 256
    gaps_b = (nthreads * 5 + 7) // 8
    bo_off = (gaps_off + gaps_b + 3) & ~3
    enc_off = (bo_off + (nblocks + 1) * 4 + 15) & ~15
    raw_off = enc_off + enc_b
    assert raw_off + n == len(blob), "blob size does not match its header"
    bo = np.frombuffer(blob, dtype=np.uint32, count=nblocks + 1, offset=bo_off)
    blocks = (nthreads + THREADS - 1) // THREADS
    op = np.array([bo[min(2 * b, nblocks)] for b in range(blocks)] + [n], dtype=np.uint32)
    gaps = np.zeros((blocks * THREADS * 5 + 7) // 8, dtype=np.uint8)
    gaps[:gaps_b] = np.frombuffer(blob, dtype=np.uint8, count=gaps_b, offset=gaps_off)
    enc = np.zeros(enc_b + 16, dtype=np.uint8)  # their threads read 4 bytes past their chunk
    enc[:enc_b] = np.frombuffer(blob, dtype=np.uint8, count=enc_b, offset=enc_off)
    raw = np.frombuffer(blob, dtype=np.uint8, count=n, offset=raw_off)
    return get_luts(canonical(lens)), enc, int((enc_bits + 7) // 8), raw, op, gaps


def main():
    dump, pkg, out = sys.argv[1], sys.argv[2], sys.argv[3]
    reps = int(sys.argv[sys.argv.index("--reps") + 1]) if "--reps" in sys.argv else 20
    decode = cp.RawModule(path=os.path.join(pkg, "decode.ptx")).get_function("decode")
    dev = torch.device("cuda:0")
    flush = torch.ones(64 << 20, dtype=torch.float32, device=dev)  # 256 MB, read before each pass

    def timed(fn):
        ts = []
        for r in range(reps + 3):
            flush.sum()
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record(); fn(); b.record(); torch.cuda.synchronize()
            if r >= 3:
                ts.append(a.elapsed_time(b) * 1e3)
        return float(np.median(ts))

    rows_out, tot = [], {"decode_us": 0.0, "cublas_us": 0.0, "pipeline_us": 0.0}
    exact_all = True
    for name, o, i in SHAPES:
        n = o * i
        W = torch.from_numpy(np.fromfile(os.path.join(dump, name + ".w"), dtype=np.int16)).view(torch.bfloat16).reshape(o, i).to(dev)
        blob = open(os.path.join(dump, name + ".df11"), "rb").read()
        luts, enc, n_bytes, raw, op, gaps = translate(blob, n)
        t = [torch.from_numpy(np.ascontiguousarray(x)).to(dev) for x in (luts, enc, raw, op.view(np.uint8), gaps)]
        out_w = torch.empty(n, dtype=torch.bfloat16, device=dev)
        shmem = THREADS * 4 + 4 + int((op[1:].astype(np.int64) - op[:-1]).max()) * 2
        grid = ((n_bytes + THREADS * CHUNK - 1) // (THREADS * CHUNK),)

        def run():
            with cp.cuda.Device(0):
                decode(grid=grid, block=(THREADS,), shared_mem=shmem,
                       args=[t[0].data_ptr(), t[1].data_ptr(), t[2].data_ptr(), t[3].data_ptr(), t[4].data_ptr(), out_w.data_ptr(),
                             np.uint32(luts.shape[0]), np.uint32(n_bytes), np.uint32(n)])

        out_w.view(torch.int16).fill_(-1)  # poison
        run(); torch.cuda.synchronize()
        exact = bool(torch.equal(out_w.view(torch.int16), W.reshape(-1).view(torch.int16)))
        exact_all &= exact
        x = torch.randn(1, i, dtype=torch.bfloat16, device=dev)
        d_us = timed(run)
        c_us = timed(lambda: torch.matmul(x, W.t()))
        p_us = timed(lambda: (run(), torch.matmul(x, out_w.view(o, i).t())))
        rows_out.append({"name": name, "out": o, "in": i, "decode_bit_exact": exact, "decode_us": d_us, "decode_gbps_bf16_out": 2.0 * n / d_us / 1e3,
                         "cublas_m1_us": c_us, "pipeline_m1_us": p_us, "pipeline_slowdown_vs_cublas": p_us / c_us, "shared_mem_bytes": shmem})
        tot["decode_us"] += d_us; tot["cublas_us"] += c_us; tot["pipeline_us"] += p_us
        print("%-8s real DFloat11 kernel: decode %s %.1f us = %.0f GB/s bf16 out | M=1 cuBLAS %.1f us, pipeline %.1f us (%.2fx slower)"
              % (name, "bit-exact" if exact else "MISMATCH", d_us, 2.0 * n / d_us / 1e3, c_us, p_us, p_us / c_us), flush=True)
    tot["pipeline_slowdown_vs_cublas"] = tot["pipeline_us"] / tot["cublas_us"]
    print("layer: real DFloat11 pipeline %.1f us vs cuBLAS %.1f us at M=1 (%.2fx slower)" % (tot["pipeline_us"], tot["cublas_us"], tot["pipeline_slowdown_vs_cublas"]))
    smi = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"], capture_output=True, text=True).stdout.strip()
    prov = {"device": torch.cuda.get_device_name(0), "nvidia_smi": smi, "commit": os.environ.get("WZ_COMMIT", "unknown"),
            "command": " ".join(sys.argv), "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "peer": "dfloat11 0.5.0 wheel: its decode.ptx (JIT for this GPU) launched through CuPy as dfloat11.py does",
            "data": "gpu_bench --dump: synthetic Qwen2.5-14B layer shapes, encoded by wzip's dfloat11 codec, framing translated to DFloat11's",
            "torch": torch.__version__, "cupy": cp.__version__}
    json.dump({"provenance": prov, "reps": reps, "all_bit_exact": exact_all, "shapes": rows_out, "layer": tot}, open(out, "w"), indent=1)


if __name__ == "__main__":
    main()
