"""What a model's apply function does with each parameter, read from its jaxpr.

`trace_params` runs ``jax.make_jaxpr`` on ``f(leaves, x)`` and walks the equations in execution
order (into ``jit``, ``custom_jvp``/``custom_vjp``, ``scan``, ``cond`` bodies), to find for
every parameter leaf its first *use*: the first operation that computes with it (inside a
``scan`` over stacked parameters, the stacked axis also indexes units). Operations that
only rearrange a parameter (``reshape``, ``broadcast_in_dim``, ``transpose``, ``squeeze``,
``slice``, dtype conversions) are followed, keeping track of which of the parameter's own axes
each axis of the rearranged array comes from. Of the first use we record:

* when it happens (the layer order of a model is the order in which it applies its layers,
  never the pytree's alphabetical ``Dense_0, Dense_10, Dense_2``);
* its kind and the parameter's *unit axes*, the axes that index its output units (filters):

  - ``matmul``: a ``dot_general``; the unit axes are the parameter's axes that are not
    contracted (free or batch): Flax ``Dense`` ``[in, out]`` → (1,), Equinox ``Linear``
    ``[out, in]`` → (0,), ``DenseGeneral`` ``[in, heads, head_dim]`` → (1, 2),
    ``[heads, head_dim, out]`` → (2,);
  - ``conv``: the output-feature axis of a ``conv_general_dilated`` kernel (Flax
    ``[kh, kw, in, out]`` → (3,), Equinox ``[out, in, kh, kw]`` → (0,));
  - ``gather``: a table indexed by integers (``take``, ``x[ids]``, ``dynamic_slice``): the
    indexed axes that are not taken whole (``nn.Embed`` ``[vocab, d]`` → (0,): a unit is one token's row);
  - ``onehot``: a ``dot_general`` with a one-hot operand (the output of an ``eq``, as
    ``jax.nn.one_hot`` makes): the contracted axes, so again a unit is one token's row;
  - ``add``: added to an activation (a bias, a learned positional tensor): no unit axes here,
    the adapter's rule decides;
  - anything else: the primitive's name, no unit axes;

and the multiply-adds of one sample's forward pass (dot products and convolutions).
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import jax
import numpy as np

#: primitives that pass a parameter through unchanged in layout
PASS_THROUGH = {"convert_element_type", "copy", "copy_p", "device_put", "pvary", "optimization_barrier",
                "slice", "rev", "reduce_precision"}
#: primitives whose sub-jaxprs' outputs are the equation's outputs, one for one
CALLS = {"pjit", "jit", "closed_call", "core_call", "custom_jvp_call", "custom_vjp_call",
         "custom_vjp_call_jaxpr", "remat", "checkpoint", "custom_lin"}
ADDS = {"add", "sub", "add_any"}


@dataclasses.dataclass
class Use:
    order: int                          # position of the first consuming operation
    primitive: str                      # its name
    kind: str                           # matmul, conv, gather, onehot, add, or the primitive
    unit_axes: tuple[int, ...] | None   # the parameter's axes that index its output units


def trace_params(fn, leaves, x_example) -> tuple[list[Use | None], float]:
    """First use of each of ``leaves`` in ``fn(leaves, x_example)``, and the multiply-adds per
    sample (``x_example``'s first axis is the batch)."""
    closed = jax.make_jaxpr(fn)(list(leaves), x_example)
    jaxpr = closed.jaxpr
    n = len(leaves)
    # a parameter's view: (leaf index, per axis of the view the tuple of the leaf's own axes,
    # the leaf's axes that index units whatever the use: those a scan runs over)
    env = {v: (i, tuple((a,) for a in range(np.ndim(leaves[i]))), ())
           for i, v in enumerate(jaxpr.invars[:n])}
    walker = _Walker(n)
    walker.walk(jaxpr, env, set())
    batch = int(np.shape(x_example)[0]) if np.ndim(x_example) else 1
    return walker.uses, walker.macs / max(batch, 1)


class _Walker:
    def __init__(self, n):
        self.uses: list[Use | None] = [None] * n
        self.counter = itertools.count()
        self.macs = 0.0

    def walk(self, jx, env, onehot) -> list:
        """Walk ``jx``; return, per output variable, its view tag, ``"onehot"`` or ``None``."""
        for eqn in jx.eqns:
            t = next(self.counter)
            self.macs += _macs(eqn)
            subs = _sub_jaxprs(eqn)
            if subs:
                self._enter(eqn, subs, env, onehot)
                continue
            if _track_one_hot(eqn, env, onehot):
                continue
            used = [(pos, env[v]) for pos, v in enumerate(eqn.invars) if _is_var(v) and v in env]
            if used and used[0][0] == 0:
                leaf, axes, always = used[0][1]
                axes = _view_axes(eqn, axes)
                if axes is not None:
                    env[eqn.outvars[0]] = (leaf, axes, always)
                    continue
            for pos, (leaf, axes, always) in used:
                if self.uses[leaf] is None:
                    kind, units = _classify(eqn, pos, axes, onehot)
                    if units is not None and always:
                        units = tuple(sorted(set(units) | set(always)))
                    self.uses[leaf] = Use(t, eqn.primitive.name, kind, units)
        return [env.get(v, "onehot" if v in onehot else None) if _is_var(v) else None
                for v in jx.outvars]

    def _enter(self, eqn, subs, env, onehot):
        for sj in subs:
            k = len(eqn.invars) - len(sj.invars)  # cond: the branch index comes first
            inner, inner_hot = {}, set()
            # a scan's xs lose their first axis inside: it indexes units (one per step)
            first_x = (eqn.params["num_consts"] + eqn.params["num_carry"]
                       if eqn.primitive.name == "scan" else len(eqn.invars))
            if k >= 0:
                for pos, (ov, iv) in enumerate(zip(eqn.invars[k:], sj.invars)):
                    if _is_var(ov) and ov in env:
                        leaf, axes, always = env[ov]
                        if pos >= first_x:
                            axes, always = axes[1:], tuple(sorted(set(always) | set(axes[0])))
                        inner[iv] = (leaf, axes, always)
                    elif _is_var(ov) and ov in onehot:
                        inner_hot.add(iv)
            tags = self.walk(sj, inner, inner_hot)
            if eqn.primitive.name in CALLS and len(subs) == 1 and len(tags) == len(eqn.outvars):
                for ov, tag in zip(eqn.outvars, tags):
                    if tag == "onehot":
                        onehot.add(ov)
                    elif tag is not None:
                        env[ov] = tag


def _is_var(v) -> bool:
    return not hasattr(v, "val")


def _sub_jaxprs(eqn):
    out = []
    for v in eqn.params.values():
        for item in (v if isinstance(v, (tuple, list)) else (v,)):
            j = getattr(item, "jaxpr", item)
            if hasattr(j, "eqns"):
                out.append(j)
    return out


def _track_one_hot(eqn, env, onehot) -> bool:
    """An ``eq`` of non-parameters makes a one-hot array; rearranging or converting it keeps
    it one. Returns whether ``eqn`` was such a step."""
    ins = [v for v in eqn.invars if _is_var(v)]
    if any(v in env for v in ins):
        return False
    if eqn.primitive.name == "eq" or (ins and ins[0] in onehot and eqn.primitive.name in
                                      PASS_THROUGH | {"reshape", "broadcast_in_dim", "transpose",
                                                      "squeeze"}):
        onehot.update(eqn.outvars)
        return True
    return False


def _view_axes(eqn, axes):
    """For an operation that only rearranges its first operand (a parameter's view with
    ``axes``), the output's axes as tuples of the parameter's axes; ``None`` otherwise."""
    name, p = eqn.primitive.name, eqn.params
    if name in PASS_THROUGH:
        return axes
    if name == "broadcast_in_dim":
        out = [()] * len(p["shape"])
        in_shape = eqn.invars[0].aval.shape
        for i, d in enumerate(p["broadcast_dimensions"]):
            out[d] = axes[i] if in_shape[i] == p["shape"][d] else ()
        return tuple(out)
    if name == "transpose":
        return tuple(axes[i] for i in p["permutation"])
    if name == "squeeze":
        return tuple(a for i, a in enumerate(axes) if i not in p["dimensions"])
    if name == "reshape" and p.get("dimensions") is None:
        return _reshape_axes(axes, eqn.invars[0].aval.shape, tuple(p["new_sizes"]))
    if name == "dynamic_slice":
        shape = eqn.invars[0].aval.shape
        if all(s == 1 or s == n for s, n in zip(p["slice_sizes"], shape)) and \
                any(s == 1 < n for s, n in zip(p["slice_sizes"], shape)):
            return None  # an index into a table: a use
        return axes
    return None


def _reshape_axes(axes, old, new):
    """Axes of a reshape that splits or merges neighbouring axes (or adds/drops size-1 axes)."""
    out, i, j = [], 0, 0
    while i < len(old) or j < len(new):
        if i < len(old) and old[i] == 1:
            i += 1
            continue
        if j < len(new) and new[j] == 1:
            out.append(())
            j += 1
            continue
        if i >= len(old) or j >= len(new):
            return None
        gi, gj, pi, pj = [i], [j], old[i], new[j]
        i, j = i + 1, j + 1
        while pi != pj:
            if pi < pj and i < len(old):
                pi, i = pi * old[i], i + 1
                gi.append(i - 1)
            elif pj < pi and j < len(new):
                pj, j = pj * new[j], j + 1
                gj.append(j - 1)
            else:
                return None
        if len(gi) > 1 and len(gj) > 1:
            return None
        origin = tuple(sorted(set().union(*(axes[k] for k in gi))))
        out.extend([origin] * len(gj))
    return tuple(out)


def _union(axes, which) -> set:
    return set().union(*(set(axes[a]) for a in which)) if which else set()


def _classify(eqn, pos: int, axes, onehot) -> tuple[str, tuple[int, ...] | None]:
    """What the first use says: its kind and the parameter's unit axes (or ``None``)."""
    name, p = eqn.primitive.name, eqn.params
    nd = len(axes)
    if name == "dot_general":
        (lc, rc), (lb, rb) = p["dimension_numbers"]
        contract = lc if pos == 0 else rc
        inputs = _union(axes, contract)
        units = _union(axes, [a for a in range(nd) if a not in contract])
        other = eqn.invars[1 - pos]
        if _is_var(other) and other in onehot:
            inputs, units = units, inputs  # a one-hot row picks rows: the contracted axes
            kind = "onehot"
        else:
            kind = "matmul"
        return kind, tuple(sorted(units)) if units and not units & inputs else None
    if name == "conv_general_dilated" and pos == 1:
        units = set(axes[int(p["dimension_numbers"].rhs_spec[0])])
        return "conv", tuple(sorted(units)) if units else None
    if name == "gather" and pos == 0:
        dn = p["dimension_numbers"]
        shape = eqn.invars[0].aval.shape
        indexed = tuple(dn.start_index_map) + tuple(getattr(dn, "operand_batching_dims", ()))
        # a vmapped ``w[i]`` indexes every axis, the feature axis at 0 with its full size
        picked = [a for a in indexed if p["slice_sizes"][a] < shape[a]] or indexed
        units = _union(axes, picked)
        return "gather", tuple(sorted(units)) if units else None
    if name == "dynamic_slice" and pos == 0:
        shape = eqn.invars[0].aval.shape
        units = _union(axes, [a for a, (s, n) in enumerate(zip(p["slice_sizes"], shape)) if s == 1 < n])
        return "gather", tuple(sorted(units)) if units else None
    if name in ADDS:
        return "add", None
    return name, None


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
