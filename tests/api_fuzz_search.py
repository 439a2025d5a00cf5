"""The catalogue of tests/api_fuzz_cases.py, part 3: the runner (``equifuzz.search``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from api_fuzz_cases import Entry, Slot, expect, ints, is_bool, one_of, tols
from torch import nn

from equifuzz import ReLUNet
from equifuzz import groups as eg
from equifuzz import reps as er
from equifuzz import search as es


def _search_entries(w: dict[str, Any]) -> list[Entry]:
    A, neg, triv2 = w["netA"], w["neg"], w["triv2"]
    other = (er.trivial(eg.cyclic(3), 2), er.trivial(w["C2"], 3))
    net = Slot("net", one_of(A), (w["torchA"],), (nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2)),))
    rin, rout = Slot("rho_in", one_of(neg), (), other), Slot("rho_out", one_of(triv2), (), other)
    def relu_like(v: Any) -> bool:
        return isinstance(v, ReLUNet) or (isinstance(v, nn.Sequential) and len(v) == 3 and isinstance(v[1], nn.ReLU))

    def inputs_2d(v: Any) -> bool:
        if torch.is_tensor(v):
            return v.ndim == 2 and v.shape[1] == 2 and not v.dtype.is_complex
        return isinstance(v, np.ndarray) and v.ndim == 2 and v.shape[1] == 2 and v.dtype.kind in "if" \
            and bool(np.isfinite(v).all())

    c2 = lambda v: isinstance(v, er.Representation) and v.group.order == 2  # noqa: E731
    X = np.random.default_rng(0).standard_normal((8, 2))

    def small(attr: str, bound: float) -> Any:
        return lambda r: expect(True)(float(np.max(getattr(r, attr))) <= bound)

    return [
        Entry("search.orbit_types", es.orbit_types, {"rho_in": neg, "rho_out": triv2},
              (Slot("rho_in", c2), Slot("rho_out", c2)),
              lambda v: expect(2)(len(v))),
        Entry("search.minimal_layerwise_width", es.minimal_layerwise_width,
              {"f": A, "rho_in": neg, "rho_out": triv2, "max_width": None},
              (Slot("f", one_of(A), (w["torchA"],)), rin, rout,
               Slot("max_width", lambda v: v is None or ints(0)(v), (np.int64(12),), keyword=True)),
              lambda r: expect(6)(r.width)),
        Entry("search.adversarial_search", es.adversarial_search,
              {"net": A, "rho_in": neg, "rho_out": triv2, "steps": 3, "lr": 0.02, "seed": 0},
              (net, rin, rout, Slot("steps", ints(0, 50), (0, np.int64(2)), (10**9,), keyword=True),
               Slot("lr", tols(0.0, strict=True), (0.1,), keyword=True),
               Slot("seed", ints(0), (7,), keyword=True)), small("rel_error", 1e-9)),
        Entry("search.kink_starts", es.kink_starts, {"net": A, "n_random": 2, "offset": 0.01},
              (Slot("net", relu_like, (w["torchA"],)), Slot("n_random", ints(0, 100), (0,), (10**9,), keyword=True),
               Slot("offset", tols(), (0.0,), keyword=True)),
              lambda S: expect(2)(np.shape(S)[1])),
        Entry("search.group_errors", es.group_errors, {"nets": A, "rho_in": neg, "rho_out": triv2, "X": X},
              (Slot("nets", lambda v: v is A or (isinstance(v, list) and v and all(x is A for x in v)), ([A, A],),
                    ([A, 3], "A")), rin, rout,
               Slot("X", inputs_2d, (X.tolist(), torch.tensor(X, dtype=torch.float32)),
                    (X[:, :1], np.full((2, 2), np.nan)))),
              small("max_scaled", 1e-5)),
        Entry("search.screen_then_confirm", es.screen_then_confirm,
              {"nets": A, "rho_in": neg, "rho_out": triv2, "n_inputs": 16, "seed": 0, "use_oracle": True},
              (Slot("nets", one_of(A), ([A],)), rin, rout,
               Slot("n_inputs", ints(1, 64), (1,), (10**9,), keyword=True), Slot("seed", ints(0), (3,), keyword=True),
               Slot("use_oracle", is_bool, (False,), keyword=True)),
              lambda r: expect([])(list(r.counterexamples))),
    ]
