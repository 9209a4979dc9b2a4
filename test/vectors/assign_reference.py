#!/usr/bin/env python3
"""Independent reference implementation of assignment version 1.

Written from the README's "Assignment algorithm" section alone, in Python, calling
libxxhash's XXH3_64bits_withSeed through ctypes; it shares no code with the
extension. It writes test/vectors/assign_vectors.csv, which sql/assign_vectors.sql
checks the extension's assign() against.

    python3 test/vectors/assign_reference.py > test/vectors/assign_vectors.csv

Columns: unit, traffic_seed, variant_seed, traffic_bp, allocations (basis points,
'|'-separated, in ordinal order), period (reset periods elapsed; -1 means reset
interval full), traffic_bucket, variant_bucket, ordinal (empty when the unit is
not eligible).
"""
import csv
import ctypes
import ctypes.util
import random
import struct
import sys

lib = ctypes.CDLL(ctypes.util.find_library("xxhash") or "libxxhash.so.0")
lib.XXH3_64bits_withSeed.restype = ctypes.c_uint64
lib.XXH3_64bits_withSeed.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint64]


def h(seed, data):
    """XXH3_64bits_withSeed over bytes, the seed's 64 bits taken as unsigned."""
    return lib.XXH3_64bits_withSeed(data, len(data), seed % (1 << 64))


def bucket(seed, data):
    """(h * 10000) >> 64: Python integers are exact, so no 128-bit care needed."""
    return (h(seed, data) * 10000) >> 64


def assign(unit, traffic_seed, variant_seed, traffic_bp, allocations, period):
    data = unit.encode("utf-8")
    tb = bucket(traffic_seed, data)
    if period >= 0:
        seed = h(variant_seed, struct.pack("<q", period))
    else:
        seed = variant_seed % (1 << 64)
    vb = bucket(seed, data)
    if tb >= traffic_bp:
        return tb, vb, None
    upper = 0
    for ordinal, a in enumerate(allocations):
        upper += a
        if vb < upper:
            return tb, vb, ordinal
    return tb, vb, None


def main():
    rng = random.Random(20261122)
    units = ["", "a", "user-1", "bfr9ad2t0hm0009vj6l0", "émile", "日本語", "🎉", "O'Brien, Jr.",
             "4a42766ca6313d26f49985e799ff4f3790fb86efa0fce46edb3ea8fbf1ea3408"]
    splits = [[10000], [5000, 5000], [9000, 1000], [2500, 2500, 2500, 2500], [1000, 2000, 3000, 4000],
              [3333, 3333, 3334], [0, 5000, 5000], [5000, 0, 5000], [1, 9998, 1]]
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["unit", "traffic_seed", "variant_seed", "traffic_bp", "allocations", "period",
                  "traffic_bucket", "variant_bucket", "ordinal"])
    configs = []
    for i in range(50):
        traffic_seed = rng.randint(-(1 << 63), (1 << 63) - 1)
        variant_seed = rng.randint(-(1 << 63), (1 << 63) - 1)
        if i == 0:
            traffic_seed, variant_seed = 0, -1
        traffic_bp = rng.choice([10000, 10000, 10000, 10000, 9999, 5000, 1000, 1, 0, rng.randint(0, 10000)])
        allocations = splits[i % len(splits)]
        period = -1 if i % 3 else rng.choice([0, 1, 2, 7, 365])
        configs.append((traffic_seed, variant_seed, traffic_bp, allocations, period))
    rows = 0
    for c, (traffic_seed, variant_seed, traffic_bp, allocations, period) in enumerate(configs):
        for k in range(21):
            unit = units[k] if k < len(units) else "unit-%d-%d" % (c, rng.randint(0, 10**9))
            tb, vb, ordinal = assign(unit, traffic_seed, variant_seed, traffic_bp, allocations, period)
            out.writerow([unit, traffic_seed, variant_seed, traffic_bp, "|".join(map(str, allocations)),
                          period, tb, vb, "" if ordinal is None else ordinal])
            rows += 1
    print(rows, "vectors", file=sys.stderr)


if __name__ == "__main__":
    main()
