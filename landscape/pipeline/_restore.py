"""What a surface file holds, turned back into the objects that made it: the `Task` (without
retraining) and the `Plane`."""

from __future__ import annotations

import numpy as np

from landscape import data as data_mod
from landscape import nets
from landscape.errors import LandscapeError
from landscape.planes import Plane
from landscape.surface import Surface
from landscape.training import Task


def task_from_surface(s: Surface) -> Task:
    """Rebuild the `Task` a surface was computed from (model, evaluation data, θ*, batch-norm
    statistics), without retraining. The training path is not kept in the file."""
    m = nets.build(s.spec)
    ds = s.meta.get("dataset")
    ds = ds if isinstance(ds, dict) else {}   # a file made elsewhere may describe it otherwise
    x, y = s.eval_data()  # embedded, or regenerated and checked against its hash
    d = data_mod.Dataset(ds.get("name", "custom"), x, y, x, y,
                         int(s.spec.get("n_out", int(y.max()) + 1)) if s.spec.get("output") != "sigmoid" else 2,
                         tuple(s.spec["image_shape"]) if s.spec.get("kind") == "cnn" else None,
                         ds.get("seed"),
                         n_tokens=s.spec.get("vocab") if s.spec.get("kind") == "transformer" else None)
    # narrower batch-norm layers are NaN-padded in the file
    bn = [(np.asarray(v[0][~np.isnan(v[0])]), np.asarray(v[1][~np.isnan(v[1])])) for v in s.bn_stats]
    policy = s.meta.get("bn_policy") or "eval"
    if s.spec.get("batchnorm") and policy == "eval" and not bn:
        raise LandscapeError("this surface's network has batch norm in eval mode but the file "
                             "holds no batch-norm statistics; recompute the surface")
    return Task(model=m, data=d, theta=s.theta, theta0=s.theta, bn_stats=bn, bn_policy=policy,
                checkpoints=s.theta[None], checkpoint_steps=np.zeros(1, int),
                train_loss=np.zeros(0, np.float32), config=s.meta.get("train", {}))


def plane_from_surface(s: Surface) -> Plane:
    return Plane(s.d1, s.d2, s.meta.get("direction", "random"), s.meta.get("norm", "filter"),
                 s.meta.get("direction_meta", {}))
