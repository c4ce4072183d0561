"""One-dimensional views: the loss and accuracy along a straight line in weight space, exact
from the network at every point (Goodfellow et al. 2015: θ0 → θ*; between two minima θA → θB;
Li et al.: a filter-normalized direction through θ*).

``θ(t) = start + t·(end − start)``; ``t = 0`` is ``start`` and ``t = 1`` is ``end``. The points
are evaluated by the surface engine (`landscape.surface._engine`) on the plane (start, end − start, 0).
File format ``landscape.line/1``: see docs/FORMAT.md.
"""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np

from landscape.errors import LandscapeError
from landscape.files import (
    atomic_savez,
    check_writable,
    json_default,
    read_npz,
    versions,
)
from landscape.training import Task

FORMAT = "landscape.line/1"


@dataclasses.dataclass(eq=False)
class Line:
    """Loss and accuracy along ``start → end``.

    Attributes:
      t: float32 ``[T]``; loss, accuracy: float32 ``[T]`` on the whole evaluation set.
      start, end: float32 ``[P]``; meta: kind, labels of the ends, dataset, ...
    """

    t: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray
    start: np.ndarray
    end: np.ndarray
    meta: dict

    def save(self, path: str) -> str:
        path = os.fspath(path)
        check_writable(path)
        return atomic_savez(path, {"format": np.array(FORMAT), "t": self.t.astype(np.float32),
                                   "loss": self.loss.astype(np.float32),
                                   "accuracy": self.accuracy.astype(np.float32),
                                   "start": self.start.astype(np.float32),
                                   "end": self.end.astype(np.float32),
                                   "meta": np.array(json.dumps(self.meta, default=json_default))})

    @classmethod
    def load(cls, path: str) -> "Line":
        """Read a file written by `save`; a missing, unreadable, damaged (checksum) or foreign
        file, or one whose arrays do not fit together, raises a `LandscapeError` naming it."""
        a = read_npz(path, FORMAT, ("t", "loss", "accuracy", "start", "end", "meta"),
                     dtypes={"t": ("f", 1), "loss": ("f", 1), "accuracy": ("f", 1),
                             "start": ("f", 1), "end": ("f", 1), "meta": ("U", 0)})
        try:
            meta = json.loads(str(a["meta"]))
            if not isinstance(meta, dict):
                raise ValueError("meta is not a JSON object")
            if a["t"].size < 1 or a["loss"].shape != a["t"].shape or \
                    a["accuracy"].shape != a["t"].shape or a["start"].shape != a["end"].shape:
                raise ValueError("its arrays differ in length")
        except ValueError as e:
            raise LandscapeError(f"{path}: not a valid landscape line file ({e})") from None
        return cls(a["t"], a["loss"], a["accuracy"], a["start"], a["end"], meta)

    def summary(self) -> dict:
        return {"points": int(self.t.size), "t": [float(self.t[0]), float(self.t[-1])],
                "loss": self.loss.tolist(), "accuracy": self.accuracy.tolist(),
                "max_loss": float(np.nanmax(self.loss)), "meta": self.meta}


def evaluate_path(task: Task, origin, e1, e2, ab: np.ndarray, *, progress=None) -> np.ndarray:
    """Loss and accuracy ``[n, 2]`` at ``origin + a·e1 + b·e2`` for each ``(a, b)`` of ``ab``."""
    from landscape.surface import Evaluator, run_blocks

    ab = np.asarray(ab, np.float32).reshape(-1, 2)
    ev = Evaluator(task.model, task.data.x_eval, task.data.y_eval, bn_policy=task.bn_policy,
                   bn_stats=task.bn_stats, n_points=ab.shape[0])
    out, _ = run_blocks(ev, ab, [(origin, e1, e2)], progress=progress, desc="line")
    return out[0]


def line(task: Task, start, end, *, points: int = 51, extend: float = 0.0,
         t_range: tuple[float, float] | None = None, meta: dict | None = None,
         progress=None) -> Line:
    """The loss along ``start → end`` at ``points`` values of t in ``[-extend, 1 + extend]``
    (or ``t_range``)."""
    start = np.asarray(start, np.float32).reshape(-1)
    end = np.asarray(end, np.float32).reshape(-1)
    if start.shape != end.shape or start.size != task.model.n_params:
        raise LandscapeError(f"the two ends must both have the model's {task.model.n_params} "
                             f"parameters, got {start.size} and {end.size}")
    if points < 2:
        raise LandscapeError(f"a line needs at least 2 points, got {points}")
    lo, hi = t_range if t_range is not None else (-float(extend), 1.0 + float(extend))
    t = np.linspace(lo, hi, int(points), dtype=np.float32)
    ab = np.stack([t, np.zeros_like(t)], 1)
    out = evaluate_path(task, start, end - start, np.zeros_like(start), ab, progress=progress)
    m = {"dataset": task.data.describe(), "distance": float(np.linalg.norm(end - start)),
         "versions": versions(), **(meta or {})}
    return Line(t, out[:, 0], out[:, 1], start, end, m)
