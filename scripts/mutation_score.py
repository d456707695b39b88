"""Print the mutation score of the last `mutmut run`: killed / total, overall and per file (docs/testing.md).

Reads mutmut's own per-file results (mutants/<path>.meta, JSON with ``exit_code_by_key``) so the score is the
same one `mutmut browse` shows. A timeout counts as killed (the mutant broke the code badly enough to hang), as
mutmut counts it; "not checked" mutants (a run stopped early) count as alive, so an unfinished run never
flatters the score.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

KILLED = {1, 3, 36, 24, -24, 152, 255, 37}  # mutmut's "killed", "timeout" and "caught by type check" codes
SURVIVED = {0}


def main(root: Path = Path("mutants")) -> int:
    rows, killed_all, total_all = [], 0, 0
    for meta in sorted(root.rglob("*.py.meta")):
        codes = list(json.loads(meta.read_text())["exit_code_by_key"].values())
        if not codes:
            continue
        killed = sum(code in KILLED for code in codes)
        survived = sum(code in SURVIVED for code in codes)
        unchecked = sum(code is None for code in codes)
        rows.append((str(meta.relative_to(root))[:-len(".meta")], killed, survived, unchecked, len(codes)))
        killed_all, total_all = killed_all + killed, total_all + len(codes)
    if not rows:
        print("no mutation results: run `make mutate` (mutmut run) first", file=sys.stderr)
        return 1
    for path, killed, survived, unchecked, total in rows:
        print(f"{path:40} {killed:5} / {total:5} killed  {100 * killed / total:5.1f}%"
              f"  ({survived} survived, {unchecked} not checked)")
    print(f"{'overall':40} {killed_all:5} / {total_all:5} killed  {100 * killed_all / total_all:5.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
