"""Benchmark point lookup: STRtree index vs a naive loop over every polygon, in one run.

Usage: python benchmarks/geo_lookup.py [--points 20000] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.gazetteer import Gazetteer  # noqa: E402


def random_points(gazetteer: Gazetteer, count: int, seed: int) -> list[tuple[float, float]]:
    """Return count uniformly random (lat, lon) points in the region's bounding box."""
    south, west, north, east = gazetteer.bbox
    rng = random.Random(seed)
    return [(rng.uniform(south, north), rng.uniform(west, east)) for _ in range(count)]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print load time and lookups per second."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20_000, help="number of random points")
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    gazetteer = Gazetteer.load()
    load_s = time.perf_counter() - started
    points = random_points(gazetteer, args.points, args.seed)

    gazetteer.locate(*points[0])  # warm up
    started = time.perf_counter()
    indexed = [gazetteer.locate(lat, lon) for lat, lon in points]
    indexed_s = time.perf_counter() - started

    started = time.perf_counter()
    naive = [gazetteer.locate_naive(lat, lon) for lat, lon in points]
    naive_s = time.perf_counter() - started

    started = time.perf_counter()
    bulk = gazetteer.locate_many(points)
    bulk_s = time.perf_counter() - started

    inside_points = [p for p, loc in zip(points, indexed, strict=True) if loc.in_brussels]
    started = time.perf_counter()
    for lat, lon in inside_points:
        gazetteer.locate(lat, lon)
    inside_indexed_s = time.perf_counter() - started
    started = time.perf_counter()
    for lat, lon in inside_points:
        gazetteer.locate_naive(lat, lon)
    inside_naive_s = time.perf_counter() - started

    mismatches = sum(a != b for a, b in zip(indexed, naive, strict=True))
    mismatches += sum(a != b for a, b in zip(indexed, bulk, strict=True))
    inside = sum(loc.in_brussels for loc in indexed)
    fallback = sum(loc.fallback_m is not None for loc in indexed)
    n = len(points)
    print(f"load (parse GeoJSON + build indexes): {load_s * 1000:.0f} ms")
    print(f"points: {n} random in bbox, {inside} in Brussels, {fallback} via the 25 m fallback")
    print(f"STRtree locate():        {n / indexed_s:10,.0f} lookups/s")
    print(f"naive loop locate():     {n / naive_s:10,.0f} lookups/s")
    print(f"STRtree locate_many():   {n / bulk_s:10,.0f} lookups/s")
    print(f"speed-up STRtree / naive: {naive_s / indexed_s:.1f}x (bulk: {naive_s / bulk_s:.1f}x)")
    k = len(inside_points)
    print(
        f"only the {k} points in Brussels: STRtree {k / inside_indexed_s:,.0f}/s, "
        f"naive {k / inside_naive_s:,.0f}/s, speed-up {inside_naive_s / inside_indexed_s:.1f}x"
    )
    print(f"results differing between methods: {mismatches}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
