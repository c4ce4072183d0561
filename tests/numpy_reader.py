"""Reading a surface file with numpy alone, as docs/FORMAT.md documents it (no landscape
import): the independent check several tests compare against."""

import json

import numpy as np


def numpy_point_loss(path, a, b):
    """Recompute L(θ* + a·d1 + b·d2) of a plain MLP from a saved surface file with numpy
    alone, following the file format documented in docs/FORMAT.md (no landscape import)."""
    z = np.load(path, allow_pickle=False)
    spec, layout = json.loads(str(z["spec"])), json.loads(str(z["layout"]))
    meta = json.loads(str(z["meta"]))
    theta = z["theta"].astype(np.float64) + a * z["d1"] + b * z["d2"]
    P = {}
    for r in layout:
        P.setdefault(r["layer"], {})[r["name"]] = theta[r["offset"]:r["offset"] + r["size"]].reshape(r["shape"])
    acts = {"relu": lambda v: np.maximum(v, 0), "tanh": np.tanh,
            "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "linear": lambda v: v}
    act = acts[spec["activation"]]
    h = z["x_eval"].astype(np.float64)
    n_layers = len(spec["widths"]) + 1
    for i in range(n_layers):
        L = P[f"dense_{i}"]
        h_in = h
        h = h @ L["w"] + L["b"]
        if i == n_layers - 1:
            break
        if spec["batchnorm"]:
            if meta["bn_policy"] == "eval":
                mu, var = z["bn_stats"][i]
            else:
                mu, var = h.mean(0), h.var(0)
            h = (h - mu) / np.sqrt(var + spec["bn_eps"]) * L["bn_scale"] + L["bn_shift"]
        h = act(h)
        if spec["skip"] and i > 0 and h_in.shape[1] == h.shape[1]:
            h = h + h_in
    y = z["y_eval"]
    h = h - h.max(1, keepdims=True)
    logp = h - np.log(np.exp(h).sum(1, keepdims=True))
    return -logp[np.arange(len(y)), y].mean()
