"""The MILP on HiGHS (highspy): one binary per kept (request, seat class) option, maximise the total value.

This is the only module of the core that imports a third-party package, and only optionally: without highspy
``HIGHSPY`` is None and the optimiser runs its greedy (docs/optimiser.md, "Fallback").

    max  sum v[r,k] x[r,k]
    s.t. sum_k x[r,k] <= 1            for each request r      (placed at most once)
         sum_r x[r,k] <= seats(k)     for each seat class k   (each seat used at most once)
         x[r,k] in {0, 1}, only for feasible, kept pairs

Both constraint families are the two sides of a bipartite graph, so the matrix is totally unimodular: every vertex
of the LP relaxation is integral. HiGHS therefore first solves the relaxation with the simplex method (a vertex,
ten times faster than its branch-and-cut on the bench); an integral answer is the MILP's proved optimum. Should it
not be integral (numerical trouble), the same model is solved as a MILP, from the greedy's start, in the time left.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .optimiser_candidates import Candidates
from .optimiser_greedy import Assignment

try:
    import highspy as HIGHSPY  # noqa: N812 (a module held in a constant: None when absent)
except ImportError:  # pragma: no cover - the greedy fallback covers a machine without highspy
    HIGHSPY = None

# Relative gap at which HiGHS may stop and call the incumbent optimal; the model is integral at the root, so a
# tight gap costs nothing and keeps "optimal" honest.
MIP_GAP = 1e-9
# Solve the LP relaxation first (see above); tests turn it off to run the MILP path.
RELAXATION_FIRST = True
# A relaxation value this close to 0 or 1 counts as integral.
INTEGRAL = 1e-6


@dataclass(frozen=True)
class Outcome:
    """What HiGHS answered: ``status`` "optimal", "time_limit" (an incumbent) or "none" (no usable solution)."""

    status: str
    assignment: Assignment | None
    note: str = ""


def solve(cands: Candidates, start: Assignment, time_limit: float, module=HIGHSPY) -> Outcome:
    """Solve the model in at most ``time_limit`` seconds of HiGHS time, starting from the ``start`` assignment
    (the greedy's), so any incumbent HiGHS returns is at least as good."""
    if module is None:
        return Outcome("none", None, "highspy is not installed")
    columns = [(i, g, value) for i, options in enumerate(cands.options) for value, g in options]
    request_row: dict[int, int] = {}
    class_row: dict[int, int] = {}
    for i, _, _ in columns:
        request_row.setdefault(i, len(request_row))
    for _, g, _ in columns:
        class_row.setdefault(g, len(request_row) + len(class_row))
    deadline = time.perf_counter() + time_limit
    h = module.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", MIP_GAP)
    h.passModel(_lp(module, cands, columns, request_row, class_row))
    if RELAXATION_FIRST:
        h.setOptionValue("solve_relaxation", True)
        h.setOptionValue("solver", "simplex")
        h.run()
        status = h.getModelStatus()
        if status == module.HighsModelStatus.kTimeLimit:
            return Outcome("none", None, "HiGHS ran out of time before an integral solution")
        if status == module.HighsModelStatus.kOptimal:
            chosen = _integral(columns, h.getSolution().col_value)
            if chosen is not None:
                return Outcome("optimal", chosen)
        left = deadline - time.perf_counter()
        if left <= 0:
            return Outcome("none", None, "HiGHS ran out of time before an integral solution")
        h.setOptionValue("solve_relaxation", False)
        h.setOptionValue("solver", "choose")
        h.setOptionValue("time_limit", left)
    wanted = set(start)
    start_columns = [n for n, (i, g, _) in enumerate(columns) if (i, g) in wanted]
    if start_columns:
        h.setSolution(len(start_columns), start_columns, [1.0] * len(start_columns))
    h.run()
    status = h.getModelStatus()
    if status == module.HighsModelStatus.kOptimal:
        label = "optimal"
    elif status == module.HighsModelStatus.kTimeLimit:
        label = "time_limit"
    else:
        return Outcome("none", None, f"HiGHS stopped: {h.modelStatusToString(status)}")
    if h.getInfo().primal_solution_status != module.kSolutionStatusFeasible:
        return Outcome("none", None, "HiGHS found no feasible solution in time")
    values = h.getSolution().col_value
    return Outcome(label, [(i, g) for (i, g, _), x in zip(columns, values, strict=True) if x > 0.5])


def _integral(columns, values) -> Assignment | None:
    """The chosen pairs of an integral solution, or None when some value is fractional."""
    chosen = []
    for (i, g, _), x in zip(columns, values, strict=True):
        if x > 1 - INTEGRAL:
            chosen.append((i, g))
        elif x > INTEGRAL:
            return None
    return chosen


def _lp(module, cands: Candidates, columns, request_row: dict[int, int], class_row: dict[int, int]):
    lp = module.HighsLp()
    lp.num_col_ = len(columns)
    lp.num_row_ = len(request_row) + len(class_row)
    lp.sense_ = module.ObjSense.kMaximize
    lp.col_cost_ = [value for _, _, value in columns]
    lp.col_lower_ = [0.0] * len(columns)
    lp.col_upper_ = [1.0] * len(columns)
    lp.row_lower_ = [-module.kHighsInf] * lp.num_row_
    lp.row_upper_ = [1.0] * len(request_row) + [float(len(cands.classes[g].seats)) for g in class_row]
    matrix = lp.a_matrix_
    matrix.format_ = module.MatrixFormat.kColwise
    matrix.start_ = list(range(0, 2 * len(columns) + 1, 2))  # every column: its request row and its class row
    matrix.index_ = [row for i, g, _ in columns for row in (request_row[i], class_row[g])]
    matrix.value_ = [1.0] * (2 * len(columns))
    lp.integrality_ = [module.HighsVarType.kInteger] * len(columns)
    return lp
