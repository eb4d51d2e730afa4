"""Run every benchmark (bench/*_bench.py) and print their figures.

    make bench                       # all of them
    make bench ARGS="velo --quick"   # the ones whose name contains 'velo', with --quick

Each benchmark runs in its own process so peak-memory figures are its own.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    selector = argv[0] if argv and not argv[0].startswith("-") else ""
    extra = argv[1:] if selector else argv
    scripts = sorted(p for p in BENCH_DIR.glob("*_bench.py") if selector in p.stem)
    if not scripts:
        print(f"no benchmark matches {selector!r}", file=sys.stderr)
        return 2
    failed = []
    for script in scripts:
        print(f"==> {script.name} {' '.join(extra)}", flush=True)
        if subprocess.call([sys.executable, str(script), *extra], cwd=BENCH_DIR.parent) != 0:
            failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
