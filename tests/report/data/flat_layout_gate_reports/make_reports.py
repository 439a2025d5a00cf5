"""Writes the gate reports of this folder with equifuzz as it was before its modules moved into one package
per layer (commit fe09ec2, flat layout), so that tests/report/test_report_unpickle.py can replay them:

    git archive fe09ec2 | tar -x -C /tmp/flat && PYTHONPATH=/tmp/flat python make_reports.py OUT

The models and the action are defined in gate_models.py beside this script: not installed, so the reports
pickle them by value; equifuzz's own classes (Element, FiniteGroup, Representation, ContinuousGroup,
ContinuousRepresentation, Grid) are pickled by reference, under the flat layout's module names.
"""

import sys
from pathlib import Path

from gate_models import RepAction, ShiftImage, Wrong

import equifuzz as ef
from equifuzz.errors import EquivarianceError
from equifuzz.gate.grid import Grid

out = Path(sys.argv[1])
G = ef.groups.cyclic(4)
so3 = ef.groups.so3()
cases = {
    "grid": lambda: ef.assert_equivariant(ShiftImage(), G, Grid(ef.reps.trivial(G, 2)), Grid(ef.reps.trivial(G, 2)),
                                          report_dir=out),
    "continuous-user-action": lambda: ef.assert_equivariant(
        Wrong(3), so3, RepAction(ef.reps.defining(so3)), RepAction(ef.reps.defining(so3)), report_dir=out),
}
for name, run in cases.items():
    try:
        run()
        print(name, "passed (no report)")
    except EquivarianceError as exc:
        print(name, "->", exc.verdict.report)
