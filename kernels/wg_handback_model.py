#!/usr/bin/env python3
"""wg_handback_model.py — a model of the wgmma GEMM's stage hand-back
(kernels/bm4_wgmma.cu, consumers): for every block of the line schedule
(block b takes units b U / G .. (b + 1) U / G - 1), count how many consumer
warpgroups hand each stage back, over token counts, tiles, stages a tile
and block counts. Every stage must be handed back once per warpgroup. The
old rule (stage i - 1 after issuing stage i, across tiles) fails where a
block's tiles change between having tokens for a warpgroup and not (NOTES
v45g); the mended rule (7dc0e57, WZ_WG_WAIT0=0) and the default since v46h
(WZ_WG_WAIT0=1: a working warpgroup hands its own stage back after waiting
for its wgmmas) pass every case. A model of the CUDA code, kept beside it:
change both together.
"""
import itertools
def sim(M, BM, MT, NC, nk, tiles, mt, G, mended=True, wait0=False):
    U = tiles*nk
    for b in range(G):
        u0, u1 = b*U//G, (b+1)*U//G
        arr = {}  # stage index i -> arrivals (per warpgroup)
        for c in range(NC):
            i = 0; u = u0; prev_live=None
            while u < u1:
                t = u//nk; k0 = u%nk; k1 = min(nk, k0+(u1-u)); mtile = t%mt; u += k1-k0
                live = mtile*BM + c*MT*64 < M
                for kt in range(k0,k1):
                    if not live or wait0: arr[i] = arr.get(i,0)+1
                    else:
                        if mended:
                            if kt > k0: arr[i-1] = arr.get(i-1,0)+1
                        else:
                            if i > 0: arr[i-1] = arr.get(i-1,0)+1
                    i += 1
                if live and mended and not wait0 and k1 > k0: arr[i-1] = arr.get(i-1,0)+1
        n = u1-u0
        for i in range(n - (0 if mended else 1)):
            if arr.get(i,0) != NC: return (b, i, arr.get(i,0))
        if any(v > NC for v in arr.values()): return (b, 'over')
    return None
bad = 0
for (BM, MT, NC) in [(64,1,1),(128,1,2),(256,2,2)]:
    for M in [1, 17, 64, 65, 100, 129, 200, 300, 520, 1000]:
        if BM==64 and M>64: continue
        if BM==128 and not (64 < M <= 128 or M<=64): continue
        if BM==256 and M <= 128: continue
        mt = (M+BM-1)//BM
        for nt in [1,2,40,56,140,216]:
            tiles = mt*nt
            for nk in [2,4,5,8,16,40,80]:
                for G in sorted({1, tiles, min(132, max(1,tiles*nk//4)), 7, 132}):
                    if G > tiles*nk: continue
                    for w0 in (False, True):
                        r = sim(M,BM,MT,NC,nk,tiles,mt,G,wait0=w0)
                        if r: bad += 1; print('wait0' if w0 else 'mended', 'FAIL', BM, M, nt, nk, G, r); break
print('mended and wait0 failures', bad)
# show the old rule fails somewhere with dead->live
old = sim(520, 256, 2, 2, 16, 3 * 32, 3, 132, mended=False)
print('old rule, M = 520 on 4096 rows x 16 stages over 132 blocks:', 'fails at (block, stage, hand-backs)' if old else 'passes', old or '')
raise SystemExit(1 if bad or not old else 0)
