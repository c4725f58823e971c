"""The solver: CDCL with lazily generated clauses over the candidates reachable from a request,
conda's preferences (as mamba/rattler), readable explanations, and an independent checker.

``solve(SolverTask) -> list[PackageRecord]`` and ``check(solution, specs, virtual_packages) ->
list[str]`` are the public entry points.
"""

from naja.solver.check import check
from naja.solver.solve import solve
from naja.solver.task import SolveOptions, SolverTask

__all__ = ["SolveOptions", "SolverTask", "check", "solve"]
