"""The compiled step loop shared by simulators: one ``lax.scan`` over steps, balls measured by
the groups' measures (`landscape.balls._measure`), optionally split over devices with ``shard_map``.
The state is a `landscape.balls._state.SimState`.

One step of a group: the optimizer's update from the pending gradient ``g``; the new position
(``x`` or its projection); faults (escape); a new measurement at the new position on the next
minibatch (loss, clipped gradient, per-layer norms); the still/settled bookkeeping.

Escaped. A ball whose loss, gradient or new position is not finite, or whose position leaves
the bounds, is frozen at its last finite position, with the loss and per-layer norms measured
when it escaped (an overflowing gradient stays on record as ``inf``).

Settled. A ball is *still* on a step when it is going nowhere, in one of two ways, and
*settled* after ``settle_steps`` consecutive still steps:

* jitter: its smoothed velocity (the exponential average, β = 0.9, of its displacement) is
  under ``settle_tol`` and under `SETTLE_DRIFT` × its average step length — minibatch noise
  around a minimum averages out; a ball creeping steadily has velocity ≈ step length. A
  settled ball stays settled while that ratio is under `SETTLE_RELEASE` (hysteresis: the
  ratio of pure jitter fluctuates around 0.2–0.5, and a label must not flicker);
* stopped (full-batch groups, whose loss is exact): at the end of each window of
  ``settle_steps`` steps, its displacement over the window is under `STOP_FRACTION` ×
  ``settle_tol``, at most `STOP_DECAY` × its displacement over the previous window (it is
  decelerating, as converging descent does), and its loss has not decreased over the window by
  more than `STOP_LOSS_RTOL` of the loss or of the surface's loss range (float32 rounding, and
  nothing on the scale of the picture). A steady creep covers the same distance window after
  window, so it is never stopped, whatever its speed.
"""

from __future__ import annotations

import json
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from landscape.balls._measure import chunked, generic_measure, weight_measure
from landscape.balls._stacked import stacked_measure
from landscape.balls._state import BallState, SimState

VELOCITY_DECAY = 0.9
SETTLE_DRIFT = 0.5     # |mean step| / mean |step|: pure jitter averages ~0.23 (β = 0.9), a creep ~1
SETTLE_RELEASE = 0.8   # ... and a settled ball is released only above this (a creep: ~1)
STOP_FRACTION = 0.1    # displacement over a window, as a fraction of settle_tol
STOP_DECAY = 0.5       # ... and at most this fraction of the previous window's displacement
STOP_LOSS_RTOL = 1e-6  # "the loss no longer decreases": by at most ~8 float32 ulps per window

OPT_KEYS = ("optimizer", "lr", "clip_norm", "clip_value", "momentum", "b1", "b2", "eps",
            "decay")
#: what of a group's optimizer is part of a compiled program: all but the learning rate, which
#: the program reads as an argument (``consts["lr"]``, one per group), so a new rate rolls the
#: balls again without compiling (the playground's rate knob)
PROGRAM_KEYS = tuple(k for k in OPT_KEYS if k != "lr")


def rows(mask, like):
    """``mask [n]`` shaped to broadcast against ``like [n, ...]``."""
    return mask.reshape((-1,) + (1,) * (jnp.ndim(like) - 1))


def finite_rows(v):
    return jnp.all(jnp.isfinite(v.reshape(v.shape[0], -1)), 1)


PROGRAMS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
SHARED: dict = {}      # stacked programs by (network spec, batch-norm policy); oldest dropped
MAX_SHARED = 16


def scalar_consts(bounds, settle_tol: float, loss_range: float) -> dict:
    """The per-plane numbers a program reads as arguments: the escape bounds
    ``(a_lo, a_hi, b_lo, b_hi)``, the settle tolerance and the stop rule's loss tolerance
    (`STOP_LOSS_RTOL` of the surface's loss range), as float32 (what they were compared in
    when they were constants)."""
    return {"bounds": jnp.asarray(bounds, jnp.float32),
            "settle_tol": jnp.float32(settle_tol),
            "stop_loss_tol": jnp.float32(STOP_LOSS_RTOL * loss_range)}


class Program:
    """The compiled step loop for one static configuration. Simulators with the same
    settings share it (`Program.get` says when), so they compile once (JAX's jit cache is
    per function object)."""

    def __init__(self, task, mode, stacked, groups, batch_sizes, n_data, settle_steps,
                 rows_per_chunk, devices):
        self.devices = devices
        self.mode, self.n_data = mode, n_data      # no reference to task: PROGRAMS is weak
        self.loss_fn = task.loss_fn()
        self.settle_steps = settle_steps
        self.batch_sizes = batch_sizes
        if mode == "slice":
            make = stacked_measure if stacked else generic_measure
            measures = [make(task, g.clip) for g in groups]
        else:
            measures = [weight_measure(task) for _ in groups]
        self.measures = [chunked(m, bs or n_data, rows_per_chunk)
                         for m, bs in zip(measures, batch_sizes)]
        self.groups = tuple(groups)
        self.txs = [g.transform(mode) for g in groups]   # their init needs no rate
        self.traces = 0
        self._build_fns()

    @classmethod
    def get(cls, task, mode, stacked, groups, batch_sizes, n_data, settle_steps,
            rows_per_chunk, devices):
        """The program for these settings. The span's bounds, the settle tolerance and the
        loss-range tolerance are arguments (`scalar_consts`), not part of the program, so the
        views of one network on different planes share it. A stacked slice-mode program
        depends on the task only through its network's spec and batch-norm policy (every array
        it reads is in the constants): tasks that agree there share one, so a scene's second
        view of the same network does not compile again. Other programs close over the task
        (`Task.loss_fn`) and are kept per task."""
        sig = (mode, stacked, tuple(batch_sizes), n_data, settle_steps, rows_per_chunk,
               tuple(devices), tuple(tuple(getattr(g, k) for k in PROGRAM_KEYS) for g in groups))
        if stacked:                             # only ever in slice mode
            key = (json.dumps(task.model.spec, sort_keys=True, default=str), task.bn_policy)
            progs = SHARED.setdefault(key, {})
            while len(SHARED) > MAX_SHARED:
                SHARED.pop(next(iter(SHARED)))
        else:
            progs = PROGRAMS.setdefault(task, {})
        if sig not in progs:
            progs[sig] = cls(task, mode, stacked, groups, batch_sizes, n_data, settle_steps,
                             rows_per_chunk, tuple(devices))
        return progs[sig]

    def position(self, x, consts):
        if self.mode == "slice":
            return x, jnp.zeros(x.shape[0], x.dtype)
        delta = x - consts["theta"]
        ab = delta @ consts["pinv"].T
        resid = delta - ab[:, :1] * consts["d1"] - ab[:, 1:] * consts["d2"]
        return ab, jnp.sqrt(jnp.sum(resid * resid, 1))

    def batch_idx(self, consts, ids, t, gi):
        bs = self.batch_sizes[gi]
        if bs is None:
            return None
        n = self.n_data

        def one(i):
            k = jax.random.fold_in(jax.random.fold_in(consts["key"], i), t)
            return jax.random.randint(k, (bs,), 0, n)

        return jax.vmap(one)(ids)

    def measure_group(self, gs: BallState, t, consts, gi, norms=True) -> BallState:
        """Measure every live ball at ``x`` on step ``t``'s minibatch. Escaped balls keep what
        was measured when they escaped (they are measured at a harmless point, θ*, whose
        results are discarded, so a frozen overflow costs nothing later)."""
        was = gs.esc
        safe = jnp.zeros_like(gs.x) if self.mode == "slice" else \
            jnp.broadcast_to(consts["theta"], gs.x.shape)
        x = jnp.where(rows(was, gs.x), safe, gs.x)
        m = self.measures[gi](consts, x, self.batch_idx(consts, gs.ids, t, gi), norms)
        esc = was | ~jnp.isfinite(m.loss) | ~finite_rows(m.grad)
        new = (m.fresh & ~was)[:, None]
        gw = jnp.where(new, m.gw, gs.gw)
        gb = jnp.where(new, m.gb, gs.gb)
        return gs.replace(
            loss=jnp.where(was, gs.loss, m.loss),
            g=jnp.where(rows(esc, m.grad), 0.0, m.grad).astype(gs.x.dtype),
            gw=gw, gb=gb, overflow=~jnp.isfinite(gw) | ~jnp.isfinite(gb), esc=esc)

    def step_group(self, gs: BallState, t, consts, gi, norms=True) -> BallState:
        lo_a, hi_a, lo_b, hi_b = (consts["bounds"][i] for i in range(4))
        tx = self.groups[gi].transform(self.mode, lr=consts["lr"][gi])
        upd, opt_new = jax.vmap(tx.update)(gs.g, gs.opt, gs.x)
        x_new = gs.x + upd
        pos_new, off_new = self.position(x_new, consts)
        ok = finite_rows(x_new) & finite_rows(pos_new) & (pos_new[:, 0] >= lo_a) \
            & (pos_new[:, 0] <= hi_a) & (pos_new[:, 1] >= lo_b) & (pos_new[:, 1] <= hi_b)
        move = ok & ~gs.esc
        esc = gs.esc | ~ok

        def sel(new, old):
            return jnp.where(rows(move, new), new, old)

        pos = sel(pos_new, gs.pos)
        step = pos - gs.pos
        vel = VELOCITY_DECAY * gs.vel + (1 - VELOCITY_DECAY) * step
        spd = VELOCITY_DECAY * gs.spd + (1 - VELOCITY_DECAY) * jnp.sqrt(jnp.sum(step * step, 1))
        gs = gs.replace(x=sel(x_new, gs.x), opt=jax.tree.map(sel, opt_new, gs.opt), pos=pos,
                        off=sel(off_new, gs.off), vel=vel, spd=spd, esc=esc)
        gs = self.measure_group(gs, t + 1, consts, gi, norms)
        drift = jnp.sqrt(jnp.sum(vel * vel, 1))
        ratio = jnp.where(gs.settled, SETTLE_RELEASE, SETTLE_DRIFT)
        still = (drift < consts["settle_tol"]) & (drift < ratio * spd)
        if self.batch_sizes[gi] is None:
            gs = self.stop_window(gs, t + 1, consts)
            still = still | gs.stopped
        slow = jnp.where(still & ~gs.esc, gs.slow + 1, 0)
        return gs.replace(slow=slow, settled=(slow >= self.settle_steps) & ~gs.esc)

    def stop_window(self, gs: BallState, t, consts) -> BallState:
        """The stop rule (module docstring), evaluated when a window ends at step ``t``."""
        end = (t % self.settle_steps) == 0
        d = gs.pos - gs.anchor_pos
        disp = jnp.sqrt(jnp.sum(d * d, 1))
        tol = jnp.maximum(STOP_LOSS_RTOL * jnp.abs(gs.anchor_loss), consts["stop_loss_tol"])
        stop = (disp < STOP_FRACTION * consts["settle_tol"]) \
            & (disp <= STOP_DECAY * gs.window_disp) & (gs.loss >= gs.anchor_loss - tol)
        return gs.replace(stopped=jnp.where(end, stop, gs.stopped),
                          window_disp=jnp.where(end, disp, gs.window_disp),
                          anchor_pos=jnp.where(end, gs.pos, gs.anchor_pos),
                          anchor_loss=jnp.where(end, gs.loss, gs.anchor_loss))

    def _build_fns(self):
        def measure_all(state: SimState, consts) -> SimState:
            out = []
            for gi, gs in enumerate(state.groups):
                pos, off = self.position(gs.x, consts)
                gs = self.measure_group(gs.replace(pos=pos, off=off), state.t, consts, gi)
                out.append(gs.replace(anchor_pos=pos, anchor_loss=gs.loss))
            return state.replace(groups=tuple(out))

        def advance(state: SimState, consts, n_steps) -> SimState:
            self.traces += 1        # runs at trace time only

            def body(st, _, norms=False):
                groups = tuple(self.step_group(gs, st.t, consts, gi, norms)
                               for gi, gs in enumerate(st.groups))
                return SimState(st.t + 1, groups), None

            # per-layer norms are only visible after the last step of a chunk: skip them before
            if n_steps > 1:
                state = jax.lax.scan(body, state, None, length=n_steps - 1)[0]
            return body(state, None, norms=True)[0]

        def true_loss(x, consts):
            f = self.loss_fn
            xe, ye = consts["x"], consts["y"]
            return jax.lax.map(lambda th: f(th, xe, ye)[0], x, batch_size=8)

        self.true_loss = jax.jit(true_loss)
        if len(self.devices) == 1:
            self.measure_all = jax.jit(measure_all)
            self.advance = jax.jit(advance, static_argnums=2)
            return
        # balls are independent: split every per-ball array over the devices (each group is
        # padded to a multiple of the device count); the step count and constants are shared.
        # Worth it even on 2 cores: 1000 balls × batch 64 ran at 51 steps/s on 2 host devices
        # vs 25–33 on one (its matmuls then split a 512-row chunk over both cores).
        from jax.sharding import Mesh
        from jax.sharding import PartitionSpec as Ps

        mesh = Mesh(np.array(self.devices), ("balls",))
        spec = SimState(Ps(), Ps("balls"))

        def sharded(f):
            return jax.shard_map(f, mesh=mesh, in_specs=(spec, Ps()), out_specs=spec,
                                 check_vma=False)

        self.measure_all = jax.jit(sharded(measure_all))
        self.advance = jax.jit(
            lambda st, consts, n_steps: sharded(
                lambda s_, c_: advance(s_, c_, n_steps))(st, consts), static_argnums=2)
