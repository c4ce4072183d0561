"""What balls did: a `Frame` (one instant) and a `Trajectory` (frames over time).

This is the contract between the dynamics (which produce frames) and the renderer (which
draws them): the renderer never sees JAX arrays, only these numpy fields, and never a NaN in a
position or height (escaped balls are frozen at their last finite position; a ball over a
non-finite cell of the surface is drawn on the plateau at the surface's highest finite loss
and flagged ``over_nonfinite``). Per-layer gradient norms that overflowed are ``inf`` and
flagged ``grad_overflow``: an exploding gradient is never recorded as a small one.

Modes: ``"slice"`` — balls live on the plane and follow the (a, b) components of real
minibatch gradients; ``"projected"`` — each ball is a full weight-space training run shown at
its least-squares projection onto the plane (``off_plane`` and ``true_loss`` say how far the
picture is from the truth). The mode is stamped on every saved file.
"""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np

from landscape.files import json_default

FORMAT = "landscape.trajectory/1"
MODES = ("slice", "projected")
#: what each entry of a trajectory file must be: (dtype kinds, number of dimensions)
_DTYPES = {"steps": ("iu", 1), "positions": ("f", 3), "heights": ("f", 2),
           "batch_loss": ("f", 2), "grad_norms": ("f", 3), "grad_norms_bias": ("f", 3),
           "escaped": ("b", 2), "settled": ("b", 2), "group": ("iu", 1), "mode": ("U", 0),
           "info": ("U", 0), "off_plane": ("f", 2), "true_loss": ("f", 2),
           "over_nonfinite": ("b", 2), "grad_overflow": ("b", 3)}


@dataclasses.dataclass(kw_only=True)
class Frame:
    """Balls at one step. N balls, L layers.

    Attributes:
      step: the optimizer step this frame shows.
      positions: float32 ``[N, 2]`` plane coordinates (a, b); always finite.
      heights: float32 ``[N]``, the surface's loss under each ball (so it sits on the mesh);
        always finite (see ``over_nonfinite``).
      batch_loss: float32 ``[N]``, each ball's own minibatch loss at this step (may be inf/NaN
        for an escaped ball; renderers must not use it for geometry).
      grad_norms: float32 ``[N, L]``, L2 norm of the (unclipped) weight-space gradient of each
        layer's weights, input → output; ``inf`` where it overflowed.
      escaped: bool ``[N]``; settled: bool ``[N]``.
      over_nonfinite: bool ``[N]``, the ball's height is the plateau because a grid value
        under it is not finite (``None``: not known).
      grad_overflow: bool ``[N, L]``, the layer's gradient norm is not finite (``None``: read
        it from ``grad_norms``).
      off_plane, true_loss: float32 ``[N]`` in projected mode: distance of each ball's
        weights from the plane, and their full-data loss (the height is the surface's value
        at the projection, not this).
      census: the minima found at this step by `landscape.balls._census.census` (``None``: not
        computed); the renderer labels exactly these.
    """

    step: int
    positions: np.ndarray
    heights: np.ndarray
    batch_loss: np.ndarray
    grad_norms: np.ndarray
    escaped: np.ndarray
    settled: np.ndarray
    over_nonfinite: np.ndarray | None = None
    grad_overflow: np.ndarray | None = None
    off_plane: np.ndarray | None = None
    true_loss: np.ndarray | None = None
    census: list | None = None


@dataclasses.dataclass
class Trajectory:
    """Frames over time for N balls in G groups.

    Attributes:
      steps: int32 ``[T]``, the step of each recorded frame.
      positions: float32 ``[T, N, 2]``; heights, batch_loss: float32 ``[T, N]`` (heights
        always finite: see `Frame`).
      grad_norms: float32 ``[T, N, L]`` (weights); grad_norms_bias: float32 ``[T, N, L]``;
        both unclipped, ``inf`` where they overflowed.
      layers: L layer names, input → output.
      escaped, settled: bool ``[T, N]``.
      group: int32 ``[N]``, each ball's group; groups: one dict per group (``name``,
        ``optimizer``, ``optimizer_label``, ``adapts``, ``lr``, ``batch_size``,
        ``clip_norm``, ``clip_value``, ``clipping`` — what was clipped —, ...).
      mode: ``"slice"`` or ``"projected"``.
      off_plane, true_loss: float32 ``[T, N]`` in projected mode, else ``None``.
      census: minima found by settled balls at the last frame: dicts with ``position``
        [a, b], ``loss``, ``accuracy``, ``n_balls``, ``share``, ``by_group``.
      meta: anything else (seeds, surface config hash, census parameters, timings).
      over_nonfinite: bool ``[T, N]``, height on the plateau over a non-finite cell.
      grad_overflow: bool ``[T, N, L]``, the layer's weight or bias gradient norm was not
        finite.
    """

    steps: np.ndarray
    positions: np.ndarray
    heights: np.ndarray
    batch_loss: np.ndarray
    grad_norms: np.ndarray
    grad_norms_bias: np.ndarray
    layers: list
    escaped: np.ndarray
    settled: np.ndarray
    group: np.ndarray
    groups: list
    mode: str = "slice"
    off_plane: np.ndarray | None = None
    true_loss: np.ndarray | None = None
    census: list = dataclasses.field(default_factory=list)
    meta: dict = dataclasses.field(default_factory=dict)
    over_nonfinite: np.ndarray | None = None
    grad_overflow: np.ndarray | None = None

    def __post_init__(self):
        if self.over_nonfinite is None:
            self.over_nonfinite = np.zeros(self.heights.shape, bool)
        if self.grad_overflow is None:
            self.grad_overflow = ~np.isfinite(self.grad_norms) | ~np.isfinite(self.grad_norms_bias)
        self._censuses: dict = {}   # frame index → census (a video shows a frame many times)

    @property
    def n_frames(self) -> int:
        return int(self.positions.shape[0])

    @property
    def n_balls(self) -> int:
        return int(self.positions.shape[1])

    def frame(self, t: int, surface=None) -> Frame:
        """Frame ``t``. Its census is the minima found at that step by
        `landscape.balls._census.census` with this trajectory's census parameters: for the last
        frame exactly `census`; for the others computed on ``surface`` (``None`` when no
        surface is given)."""
        t = range(self.n_frames)[t]
        census = None
        if t == self.n_frames - 1:
            census = self.census
        elif surface is not None:
            if t not in self._censuses:
                from landscape.balls._census import census as find_minima

                self._censuses[t] = find_minima(
                    self.positions[t], self.settled[t], self.escaped[t], self.group,
                    [g["name"] for g in self.groups], surface,
                    **self.meta.get("census_params", {}))
            census = self._censuses[t]
        proj = self.mode == "projected"
        return Frame(step=int(self.steps[t]), positions=self.positions[t],
                     heights=self.heights[t], batch_loss=self.batch_loss[t],
                     grad_norms=self.grad_norms[t], escaped=self.escaped[t],
                     settled=self.settled[t], over_nonfinite=self.over_nonfinite[t],
                     grad_overflow=self.grad_overflow[t],
                     off_plane=self.off_plane[t] if proj else None,
                     true_loss=self.true_loss[t] if proj else None, census=census)

    def __repr__(self) -> str:
        s = self.summary()
        groups = ", ".join(f"{g.get('name')} ×{g['n_balls']}" for g in s["groups"])
        return (f"Trajectory({s['n_balls']} balls × {s['n_frames']} frames (steps 0–"
                f"{s['steps']}), {len(self.layers)} layers, {self.mode} mode; groups: {groups}"
                f"; {len(self.census)} {'minimum' if len(self.census) == 1 else 'minima'} in the census)")

    def summary(self) -> dict:
        last = self.n_frames - 1
        out = {"mode": self.mode, "n_balls": self.n_balls, "n_frames": self.n_frames,
               "steps": int(self.steps[-1]) if self.n_frames else 0, "layers": list(self.layers),
               "groups": []}
        for g, info in enumerate(self.groups):
            m = self.group == g
            live = m & ~self.escaped[last]  # escaped balls are frozen: keep them out of means
            h = self.heights[last, live]
            gn = self.grad_norms[last, live]
            out["groups"].append({
                **info, "n_balls": int(m.sum()),
                "escaped": int(self.escaped[last, m].sum()),
                "settled": int(self.settled[last, m].sum()),
                "over_nonfinite": int(self.over_nonfinite[last, m].sum()),
                "grad_overflow": int(self.grad_overflow[last, m].any(-1).sum()),
                "mean_height": float(np.mean(h)) if h.size else None,
                "mean_grad_norms": np.mean(gn, 0).tolist() if gn.size else [],
            })
        out["census"] = self.census
        return out

    def save(self, path: str) -> str:
        from landscape.files import atomic_savez, check_writable

        check_writable(path)
        arrays = {"format": np.array(FORMAT), "steps": self.steps, "positions": self.positions,
                  "heights": self.heights, "batch_loss": self.batch_loss,
                  "grad_norms": self.grad_norms, "grad_norms_bias": self.grad_norms_bias,
                  "escaped": self.escaped, "settled": self.settled, "group": self.group,
                  "over_nonfinite": self.over_nonfinite, "grad_overflow": self.grad_overflow,
                  "mode": np.array(self.mode),
                  "info": np.array(json.dumps({"layers": list(self.layers), "groups": self.groups,
                                               "census": self.census, "meta": self.meta},
                                              default=json_default))}
        if self.off_plane is not None:
            arrays["off_plane"] = self.off_plane
            arrays["true_loss"] = self.true_loss
        return atomic_savez(os.fspath(path), arrays)

    @classmethod
    def load(cls, path: str) -> "Trajectory":
        """Read a file written by `save`; a missing, unreadable, damaged (checksum) or foreign
        file, or one whose arrays do not fit together, raises a `LandscapeError` naming it."""
        from landscape.errors import LandscapeError
        from landscape.files import read_npz

        keys = ("steps", "positions", "heights", "batch_loss", "grad_norms", "grad_norms_bias",
                "escaped", "settled", "group", "mode", "info")
        a = read_npz(path, FORMAT, keys, optional=("off_plane", "true_loss", "over_nonfinite",
                                                   "grad_overflow"), dtypes=_DTYPES)
        try:
            info = json.loads(str(a["info"]))
            t, n = a["positions"].shape[:2]
            n_layers = a["grad_norms"].shape[2]
            want = {"steps": (t,), "positions": (t, n, 2), "heights": (t, n),
                    "batch_loss": (t, n), "grad_norms": (t, n, n_layers),
                    "grad_norms_bias": (t, n, n_layers), "escaped": (t, n), "settled": (t, n),
                    "group": (n,), "off_plane": (t, n), "true_loss": (t, n),
                    "over_nonfinite": (t, n), "grad_overflow": (t, n, n_layers)}
            for k, shape in want.items():
                if k in a and a[k].shape != shape:
                    raise ValueError(f"{k} is {list(a[k].shape)}, expected {list(shape)}")
            if t < 1:
                raise ValueError("no frames")
            mode = str(a["mode"])
            if mode not in MODES:
                raise ValueError(f"unknown mode {mode!r}")
            if mode == "projected" and "off_plane" not in a:
                raise ValueError("a projected trajectory without off_plane")
            groups = info["groups"]
            if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups) \
                    or not isinstance(info["meta"], dict) or not isinstance(info["census"], list) \
                    or len(info["layers"]) != n_layers:
                raise ValueError("info does not describe the arrays")
            if n and not (0 <= a["group"].min() and a["group"].max() < len(groups)):
                raise ValueError("a ball's group is not among the groups")
            # files written before the flags existed get them from the arrays (overflow) or none
            extra = {k: a[k] for k in ("off_plane", "true_loss", "over_nonfinite", "grad_overflow")
                     if k in a}
            return cls(a["steps"], a["positions"], a["heights"], a["batch_loss"], a["grad_norms"],
                       a["grad_norms_bias"], list(info["layers"]), a["escaped"], a["settled"],
                       a["group"], groups, mode, census=info["census"], meta=info["meta"],
                       **extra)
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as e:
            raise LandscapeError(f"{path}: not a valid landscape trajectory file ({e})") from None
