"""Batched equivariance kernel vs a per-(network, element) loop: the numbers behind ``equifuzz bench``.

    python benchmarks/bench_search.py                 # device defaults (CPU: 256 x 16 x 128, m 8, d 4, p 2)
    python benchmarks/bench_search.py --inputs 1024 --width 64 --dim 16 --out 4 --compile
    python benchmarks/bench_search.py --json out.json
"""

from __future__ import annotations

import argparse
import json
import sys

from equifuzz.search.bench import run_bench


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("nets", "elements", "inputs", "width", "dim", "out"):
        ap.add_argument(f"--{name}", type=int, default=None)
    ap.add_argument("--device", default=None)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--json", default=None, help="also write the result as JSON to this path")
    a = ap.parse_args(argv)
    if a.threads:
        import torch

        torch.set_num_threads(a.threads)
    res = run_bench(a.nets, a.elements, a.inputs, a.width, a.dim, a.out, device=a.device, repeats=a.repeats,
                    compile=a.compile, progress=lambda s: print(f"... {s}", file=sys.stderr))
    print("\n".join(res.lines()))
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(res.to_dict(), fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
