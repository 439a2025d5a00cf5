"""Rotations off the pixel grid, approximately: an interpolated check calibrated against an interpolation floor.

    v = ef.gate.assert_approximately_equivariant(model, C8, Grid(rho_in), Grid(rho_out))

The exact gate (``assert_equivariant``) checks only the elements that map the pixel grid to itself
(C4 inside C8, C16, SO(2)). An element off the grid (45 degrees) moves pixels between pixels, so
``g.x`` must be interpolated and no model, however correct, commutes with it exactly: its error
``f(g.x) - g.f(x)`` is never zero and cannot certify anything. This module measures that error
against the error of a reference model that is exactly equivariant on the continuum, under the same
interpolation, on the same inputs and the same field types:

- **inputs**: ``images`` band-limited random images of size ``size`` (Gaussian noise with the Fourier
  frequencies up to ``band`` = K cycles per image kept), times a smooth disk window (radius 0.4
  ``size``, a 3-pixel ramp), scaled to unit RMS; the same draw for the model and the reference;
- **the element's action**: ``[g.x](p) = rho(g) x(g^-1 p)`` with the grid convention of
  :mod:`equifuzz.gate.grid`, the sample at ``g^-1 p`` bicubic (``torch.nn.functional.grid_sample``,
  float64, its cubic kernel with a = -0.75), on the tensor's device;
- **the error**, relative, on a central disk (radius ``radius``, default 0.25 ``size``, scaled to the
  output's size) where neither the window nor the padding reaches after rotation:
  ``e(f) = ||disk (f(g.x) - g.f(x))|| / ||disk g.f(x)||`` over all images at once;
- **the floor**: ``e(phi)`` for a pointwise ``phi`` on the input's field type that commutes with
  ``rho_in(g)`` exactly: ReLU on every channel when every ``rho_in(g)`` tried is a permutation matrix
  (trivial, regular, quotient fields), else a norm ReLU ``v relu(|v| - b) / |v|`` on the channel
  vector (orthogonal ``rho_in``; ``b`` the median channel norm of the drawn inputs on the disk,
  fixed before any element acts). ``phi`` is linear nowhere near its kink, so interpolation does not commute with it:
  its error is the interpolation's.

The score is ``q = e(f) / e(phi)`` per element (the worst is reported). **Verdict semantics**: the
mode never says "holds". ``q <= 1``: the model's error is within the floor of the reference;
``1 < q <= margin``: above the floor but in the band that correct models reach, where correct and
broken models cannot be told apart; ``q > margin``: fails (``EquivarianceError``; calibrated, not
certified: its witness is the element, the inputs and the two errors). In every case the verdict
states the defect it could not see: one adding less than ``margin e(phi) - e(f)`` to the relative error.

**Calibration** (:data:`MARGINS`, benchmarks/escnn_offgrid.py, table in benchmarks/README.md):
see :data:`CALIBRATION`. The margin is a measured number for those models, bands and sizes; a
deeper or rougher correct model may score higher, and the verdict names the band and size used.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..errors.exceptions import EquivarianceError, InvalidArgument, ShapeError
from ..errors.validation import check_callable, check_int
from ..groups.continuous import ContinuousGroup
from ..groups.elements import Element
from ..groups.finite import FiniteGroup
from ..groups.validation import check_group
from ..oracles.verdict import Verdict
from .actions import as_actions
from .grid import Grid

__all__ = ["assert_approximately_equivariant", "ApproximateVerdict", "MARGINS", "CALIBRATION", "rotate_image",
           "band_limited_images", "DEFAULT_ANGLES"]

#: per band limit K (cycles per image): fail only above this many times the floor (the worst score of
#: the correct calibration models at that K, times 1.25; measured by benchmarks/escnn_offgrid.py)
MARGINS = {1.5: 3.73, 2.0: 3.05, 3.0: 2.46, 5.0: 2.0, 8.0: 1.89}
#: how the margins were measured (quoted in every verdict)
CALIBRATION = ("margin = 1.25 x the worst score of 14 correct float64 models over 5 draws of 16 41x41 images at each K "
               "(benchmarks/escnn_offgrid.py): torch isotropic-filter CNNs of 2 and 3 layers gated as C8 and SO(2); "
               "escnn 1.0.11 C8 and C16 regular R2Conv models (3x3 and 5x5 kernels) and an SO(2) irreps model with "
               "norm ReLU, two weight draws each; the worst were escnn C16 and SO(2) models. Scores vary with the "
               "architecture and the weights: a correct model unlike these may score higher")
#: the rotations tried for SO(2)/O(2), in degrees (off the grid)
DEFAULT_ANGLES = (22.5, 45.0)


def rotate_image(x: torch.Tensor, M: np.ndarray) -> torch.Tensor:
    """out(p) = x(M^-1 p) on the last two axes (square images, the coordinates of
    :mod:`equifuzz.gate.grid`: p = (j - (W-1)/2, (H-1)/2 - i)), sampled bicubically; zero outside."""
    H, W = x.shape[-2:]
    if H != W:
        raise ShapeError(f"rotating an image off the grid needs a square image, got {H}x{W}")
    c = (H - 1) / 2
    idx = torch.arange(H, dtype=torch.float64, device=x.device) - c
    px, py = idx[None, :].expand(H, W), -idx[:, None].expand(H, W)
    Mi = np.linalg.inv(M)
    qx = Mi[0, 0] * px + Mi[0, 1] * py
    qy = Mi[1, 0] * px + Mi[1, 1] * py
    grid = torch.stack([qx / c, -qy / c], -1) if c > 0 else torch.zeros(H, W, 2, dtype=torch.float64)
    flat = x.reshape(-1, 1, H, W) if x.ndim != 4 else x
    g = grid.to(flat.dtype)[None].expand(flat.shape[0], H, W, 2)
    y = F.grid_sample(flat, g, mode="bicubic", padding_mode="zeros", align_corners=True)
    return y.reshape(x.shape)


def band_limited_images(n: int, channels: int, size: int, band: float, gen: torch.Generator) -> torch.Tensor:
    """``n`` float64 images of ``channels`` channels: Gaussian noise with Fourier frequencies up to
    ``band`` cycles per image, times a smooth disk window (radius 0.4 size, 3-pixel ramp), unit RMS."""
    z = torch.randn(n, channels, size, size, generator=gen, dtype=torch.float64)
    f = torch.fft.fftfreq(size, dtype=torch.float64) * size
    keep = ((f[:, None] ** 2 + f[None, :] ** 2).sqrt() <= band).to(torch.float64)
    x = torch.fft.ifft2(torch.fft.fft2(z) * keep).real * _window(size, 0.4 * size, ramp=3.0)
    return x / x.pow(2).mean().sqrt().clamp_min(1e-300)


def _radius(size: int) -> torch.Tensor:
    idx = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    return (idx[:, None] ** 2 + idx[None, :] ** 2).sqrt()


def _window(size: int, outer: float, ramp: float) -> torch.Tensor:
    return torch.clamp((outer - _radius(size)) / ramp, 0.0, 1.0)


@dataclass(frozen=True)
class ApproximateVerdict(Verdict):
    """The approximate off-grid check (module docstring). ``holds`` is False when it fails and None
    otherwise: it never certifies. ``status``: "within the floor", "inseparable" or "fails"."""

    score: float  # q = error / floor at the worst element
    error: float
    floor: float
    margin: float
    element: str
    reference: str
    band: float
    size: int
    radius: float
    images: int
    scores: tuple[tuple[str, float, float, float], ...]  # (element, error, floor, q) per element
    subgroup_note: str
    calibration: str
    n_evaluations: int
    dtype: str
    seed: int
    #: the inputs of a failure (the images the worst element was measured on), else None
    witness: torch.Tensor | None = field(default=None, repr=False, compare=False)

    @property
    def status(self) -> str:
        if self.score > self.margin:
            return "fails"
        return "within the floor" if self.score <= 1.0 else "inseparable"

    @property
    def unseen(self) -> float:
        """The relative error a defect may add and still not be seen: margin x floor - error (>= 0)."""
        return max(self.margin * self.floor - self.error, 0.0)

    def __str__(self) -> str:
        at = (f"{self.element}; K = {self.band:g} cycles per image, {self.size}x{self.size} images, disk radius "
              f"{self.radius:g} px, reference {self.reference}")
        if self.status == "fails":
            head = (f"NOT equivariant off the grid (calibrated, not certified): error {self.error:.3e} is "
                    f"{self.score:.3g} x the interpolation floor {self.floor:.3e}, above the margin {self.margin:g} "
                    f"that correct models stay under; at {at}")
        elif self.status == "inseparable":
            head = (f"inseparable off the grid: error {self.error:.3e} is {self.score:.3g} x the interpolation "
                    f"floor {self.floor:.3e}, above the floor but within the margin {self.margin:g} that correct "
                    f"models reach: correct and broken models cannot be told apart here; at {at}")
        else:
            head = (f"within the interpolation floor off the grid (not a certificate): error {self.error:.3e} is "
                    f"{self.score:.3g} x the floor {self.floor:.3e}; at {at}")
        rows = "; ".join(f"{e}: {q:.3g} ({err:.2e} / {fl:.2e})" for e, err, fl, q in self.scores)
        tail = (f"\n  a defect adding less than {self.unseen:.2e} to the relative error (margin x floor - error) "
                f"cannot be seen" if self.status != "fails" else "")
        own = MARGINS.get(self.band) == self.margin
        band = "" if own else f"\n  note: margin {self.margin:g} given by the caller, not the calibrated one"
        return (f"{head}{tail}{band}\n  per element (score = error / floor): {rows}\n  {self.subgroup_note}\n"
                f"  calibration: {self.calibration}\n  {self.n_evaluations} model calls, {self.dtype}, "
                f"seed {self.seed}")


def _off_grid_elements(group: Any, grid: Grid, elements: Sequence[float] | None) -> list[Element]:
    if isinstance(group, ContinuousGroup):
        if group.dim != 2:
            raise ShapeError(f"the approximate mode rotates images (SO(2), O(2)); {group.name} acts on R^{group.dim}")
        out = []
        for a in (DEFAULT_ANGLES if elements is None else elements):
            t = np.deg2rad(float(a))
            M = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
            out.append(Element(f"rotation by {float(a):g} degrees", matrix=M))
        return out
    if elements is None:
        ks = [k for k in group.elements if not grid.on_grid(Element("", index=k))]
    else:
        ks = [int(k) for k in elements]
    out = [Element(f"g = {group.word_str(k)}", index=k) for k in ks]
    for g in out:
        if grid.spatial_matrix(g).shape != (2, 2):
            raise ShapeError("the approximate mode rotates images (2 spatial axes)")
    return out


def _element_label(group: Any, g: Element, grid: Grid) -> str:
    M = grid.spatial_matrix(g)
    deg = float(np.rad2deg(np.arctan2(M[1, 0], M[0, 0])))
    if np.linalg.det(M) < 0:
        return f"{g.label} (the reflection across the line at {deg / 2:g} degrees)"
    return f"{g.label} ({deg:g} degrees)"


def _act(grid: Grid, g: Element, x: torch.Tensor) -> torch.Tensor:
    R = torch.tensor(grid.channel_matrix(g), dtype=x.dtype, device=x.device)
    y = torch.movedim(torch.movedim(x, -3, -1) @ R.T, -1, -3)
    return rotate_image(y, grid.spatial_matrix(g))


def _reference(grid: Grid, gs: Sequence[Element], x: torch.Tensor, disk: torch.Tensor
               ) -> tuple[str, Callable[[torch.Tensor], torch.Tensor]]:
    """The pointwise reference on the input's field type (module docstring) and its name."""
    mats = [grid.channel_matrix(g) for g in gs]
    if all(np.allclose(R, np.rint(R), atol=1e-9) and np.all(np.rint(R) >= 0) and np.allclose(np.rint(R).sum(0), 1)
           and np.allclose(np.rint(R).sum(1), 1) for R in mats):
        return "ReLU on each channel (rho_in permutes channels)", torch.relu
    for R in mats:
        if not np.allclose(R @ R.T, np.eye(len(R)), atol=1e-9):
            raise InvalidArgument("the approximate mode's reference needs rho_in(g) orthogonal or a permutation at the "
                                  "elements tried (a norm ReLU then commutes with it)")
    b = float(x.norm(dim=-3)[..., disk > 0].median())  # the median norm where the error is measured

    def norm_relu(v: torch.Tensor) -> torch.Tensor:
        n = v.norm(dim=-3, keepdim=True)
        return v * torch.relu(n - b) / n.clamp_min(1e-300)

    return f"norm ReLU on the channel vector (b = {b:.3g})", norm_relu


def _relative(a: torch.Tensor, b: torch.Tensor, disk: torch.Tensor) -> tuple[float, float]:
    return float(((a - b) * disk).norm()), float((b * disk).norm())


def assert_approximately_equivariant(
    fn: Callable[[torch.Tensor], torch.Tensor],
    group: FiniteGroup | ContinuousGroup,
    rho_in: Any,
    rho_out: Any,
    *,
    elements: Sequence[float] | None = None,
    band: float = 3.0,
    size: int = 41,
    radius: float | None = None,
    images: int = 16,
    margin: float | None = None,
    seed: int = 0,
    dtype: torch.dtype | None = None,
    device: str | torch.device | None = None,
) -> ApproximateVerdict:
    """Check ``fn(g.x) ~ g.fn(x)`` at rotations off the pixel grid against the interpolation floor
    (module docstring). ``rho_in``/``rho_out``: one image block each (a ``Grid``, or what
    ``assert_equivariant`` turns into one, e.g. an escnn adapter's block). ``elements``: indices of a
    finite group's elements (default: every element off the grid, reflections included) or angles in
    degrees of rotations for SO(2)/O(2) (default :data:`DEFAULT_ANGLES`; no reflections are tried).
    ``band``: K, the band limit in cycles per image; ``size``: the image size; ``radius``: the disk
    the error is measured on (default 0.25 size); ``images``: images per call; ``margin``: the score
    above which it fails (default: the calibrated :data:`MARGINS` of ``band``; another K needs a
    margin of the caller's own calibration).
    Returns the verdict (never "holds"), or raises ``EquivarianceError`` with it when the score
    exceeds the margin."""
    check_callable("fn", fn)
    check_group("group", group, continuous_ok=True)
    size, images = check_int("size", size, min=9), check_int("images", images, min=1)
    seed = check_int("seed", seed, min=0)
    if not (isinstance(band, (int, float)) and 0 < band <= size / 2):
        raise InvalidArgument(f"band must be a number of cycles per image in (0, size/2], got {band!r}")
    if margin is None:
        if float(band) not in MARGINS:
            raise InvalidArgument(f"band K = {band!r} is not calibrated: use one of {', '.join(map(str, MARGINS))} "
                                  "(cycles per image), or pass margin= from your own calibration on correct models")
        margin = MARGINS[float(band)]
    if not (isinstance(margin, (int, float)) and margin >= 1):
        raise InvalidArgument(f"margin must be a number >= 1 (the floor itself), got {margin!r}")
    grids = []
    for nm, spec in (("rho_in", rho_in), ("rho_out", rho_out)):
        acts, several = as_actions(spec, group, nm)
        if several or not isinstance(acts[0], Grid) or acts[0].spatial != 2:
            raise ShapeError(f"the approximate mode takes one image block for {nm} (an ef.gate.Grid with 2 spatial "
                             "axes)")
        grids.append(acts[0])
    gin, gout = grids
    r_in = 0.25 * size if radius is None else float(radius)
    if not 0 < r_in < 0.4 * size - 3:
        raise InvalidArgument(f"radius must lie inside the input window (0 < radius < {0.4 * size - 3:g}), got "
                              f"{r_in:g}")
    gs = _off_grid_elements(group, gin, elements)
    if not gs:
        raise InvalidArgument(f"every element of {group.name} maps the grid to itself: use ef.assert_equivariant")
    own = next((t for t in [*getattr(fn, "parameters", list)(), *getattr(fn, "buffers", list)()]
                if t.is_floating_point()), None) if isinstance(fn, torch.nn.Module) else None
    dt = dtype or (own.dtype if own is not None else torch.float64)
    dev = torch.device(device) if device is not None else (own.device if own is not None else torch.device("cpu"))
    x = band_limited_images(images, gin.channels, size, float(band), torch.Generator().manual_seed(seed)).to(dev)
    calls = 0

    def f(t: torch.Tensor) -> torch.Tensor:
        nonlocal calls
        calls += 1
        with torch.no_grad():
            y = fn(t.to(dt))
        if not isinstance(y, torch.Tensor) or y.ndim != 4 or y.shape[-3] != gout.channels or y.shape[-1] != y.shape[-2]:
            raise ShapeError(f"the approximate mode needs square image outputs of {gout.channels} channels, got "
                             f"{type(y).__name__} {tuple(getattr(y, 'shape', ()))}")
        return y.to(torch.float64)

    y = f(x)
    m = y.shape[-1]
    disk_out = (_radius(m) <= r_in * m / size).to(torch.float64).to(dev)
    disk_in = (_radius(size) <= r_in).to(torch.float64).to(dev)
    ref_name, phi = _reference(gin, gs, x, disk_in)
    px = phi(x)
    rows, worst = [], None
    for g in gs:
        gx = _act(gin, g, x)
        num, den = _relative(f(gx), _act(gout, g, y), disk_out)
        rnum, rden = _relative(phi(gx), _act(gin, g, px), disk_in)
        err, floor = num / den if den > 0 else float("inf"), rnum / rden if rden > 0 else 0.0
        q = err / floor if floor > 0 else float("inf")
        rows.append((_element_label(group, g, gin), err, floor, q))
        if worst is None or not q <= worst[3]:
            worst = rows[-1]
    assert worst is not None
    note = (f"rotations off the pixel grid of {group.name}, approximately (interpolated); the elements that map the "
            "grid to itself are checked exactly by ef.assert_equivariant")
    v = ApproximateVerdict(None, worst[3], worst[1], worst[2], float(margin), worst[0], ref_name, float(band), size,
                           r_in, images, tuple(rows), note, CALIBRATION, calls, str(dt).replace("torch.", ""), seed)
    if v.status == "fails":
        v = dataclasses.replace(v, holds=False, witness=x.cpu())
        raise EquivarianceError(f"{getattr(fn, '__name__', type(fn).__name__)}: {v}", v)
    return v
