"""What a model's apply function does with each parameter, read from its jaxpr.

`trace_params` runs ``jax.make_jaxpr`` on ``f(leaves, x)`` and walks the equations in execution
order (into ``jit``, ``custom_jvp``/``custom_vjp``, ``scan``, ``cond`` bodies), to find for
every parameter leaf:

* when it is first used (the layer order of a model is the order in which it applies its
  layers, never the pytree's alphabetical ``Dense_0, Dense_10, Dense_2``);
* its output axis, from the operation that consumes it: the free (not contracted) axis of a
  ``dot_general`` (Flax ``Dense`` kernels ``[in, out]`` → 1, Equinox ``Linear`` weights
  ``[out, in]`` → 0), the output-feature axis of a ``conv_general_dilated`` kernel (Flax
  ``[kh, kw, in, out]`` → 3, Equinox ``[out, in, kh, kw]`` → 0); ``None`` when ambiguous;

and the multiply-adds of one sample's forward pass (dot products and convolutions).
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import jax
import numpy as np

#: primitives that pass a parameter through unchanged in layout
PASS_THROUGH = {"convert_element_type", "copy", "copy_p", "device_put", "pvary", "optimization_barrier"}


@dataclasses.dataclass
class Use:
    order: int          # position of the first consuming operation in execution order
    primitive: str      # its name
    out_axis: int | None


def trace_params(fn, leaves, x_example) -> tuple[list[Use | None], float]:
    """First use and output axis of each of ``leaves`` in ``fn(leaves, x_example)``, and the
    multiply-adds per sample (``x_example``'s first axis is the batch)."""
    closed = jax.make_jaxpr(fn)(list(leaves), x_example)
    jaxpr = closed.jaxpr
    n = len(leaves)
    env = {v: i for i, v in enumerate(jaxpr.invars[:n])}
    uses: list[Use | None] = [None] * n
    counter = itertools.count()
    macs = [0.0]

    def sub_jaxprs(eqn):
        out = []
        for v in eqn.params.values():
            for item in (v if isinstance(v, (tuple, list)) else (v,)):
                j = getattr(item, "jaxpr", item)
                if hasattr(j, "eqns"):
                    out.append(j)
        return out

    def walk(jx, env):
        for eqn in jx.eqns:
            t = next(counter)
            name = eqn.primitive.name
            used = [(pos, env[v]) for pos, v in enumerate(eqn.invars)
                    if not hasattr(v, "val") and v in env]
            macs[0] += _macs(eqn)
            subs = sub_jaxprs(eqn)
            if name in PASS_THROUGH and used:
                for ov in eqn.outvars:
                    env[ov] = used[0][1]
                continue
            if subs:
                for sj in subs:
                    k = len(eqn.invars) - len(sj.invars)  # cond: the branch index comes first
                    inner = {iv: env[ov] for ov, iv in zip(eqn.invars[max(k, 0):], sj.invars)
                             if not hasattr(ov, "val") and ov in env} if k >= 0 else {}
                    walk(sj, inner)
                continue
            for pos, leaf in used:
                if uses[leaf] is None:
                    uses[leaf] = Use(t, name, _out_axis(eqn, pos))

    walk(jaxpr, env)
    batch = int(np.shape(x_example)[0]) if np.ndim(x_example) else 1
    return uses, macs[0] / max(batch, 1)


def _out_axis(eqn, pos: int) -> int | None:
    name = eqn.primitive.name
    shape = eqn.invars[pos].aval.shape
    if name == "dot_general":
        (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
        contract, batch = (lc, lb) if pos == 0 else (rc, rb)
        free = [a for a in range(len(shape)) if a not in contract and a not in batch]
        return free[0] if len(free) == 1 else None
    if name == "conv_general_dilated" and pos == 1:
        dn = eqn.params["dimension_numbers"]
        return int(dn.rhs_spec[0])  # (out feature, in feature, spatial...) dims of the kernel
    return None


def _macs(eqn) -> float:
    name = eqn.primitive.name
    if name == "dot_general":
        (lc, _), _ = eqn.params["dimension_numbers"]
        lhs = eqn.invars[0].aval.shape
        return float(math.prod(eqn.outvars[0].aval.shape) * math.prod(lhs[a] for a in lc))
    if name == "conv_general_dilated":
        rhs = eqn.invars[1].aval.shape
        dn = eqn.params["dimension_numbers"]
        per_out = math.prod(rhs) / rhs[dn.rhs_spec[0]]
        return float(math.prod(eqn.outvars[0].aval.shape) * per_out
                     / max(1, eqn.params.get("feature_group_count", 1)))
    return 0.0
