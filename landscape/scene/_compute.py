"""Carry out a scene's plan, up to the numbers: `compute_scene(scene)` builds every landscape's surface (from the cache when nothing that
determines it changed), starts its ball groups, and simulates all the optimizer steps the plan's
``Roll`` animations ask for, recording every step: a `Computed` holds one `Run` (surface,
trajectory) per landscape. This is all ``--dry-run`` does, and what the tests check each
scene's claim on. Drawing it is `landscape.scene._director`'s job; no renderer is imported here.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from landscape.errors import LandscapeError
from landscape.progress import as_events
from landscape.scene._scene import Landscape, Scene


@dataclasses.dataclass(eq=False)
class Run:
    """One landscape of a computed scene.

    Attributes:
      landscape: what the scene asked for; surface: the computed `Surface`;
      trajectory: every ball at every step (``steps`` = 0, 1, ..., n), a `Trajectory`;
      timings: seconds per phase (``cached`` says whether the surface came from the cache);
      simulator: the `landscape.balls._simulator.Simulator` that produced the trajectory (after it).
      timelapse: for a `Scene.timelapse` landscape, its `landscape.pipeline._timelapse.Timelapse`
        (the trajectory is then the network itself, one ball).
      activations: what a landscape's special panel shows: ``panel="activations"``, the
        network's activation statistics at θ* (`landscape.measures._saturation.ActivationStats`);
        ``panel="chain"``, the chain rule's factors (`landscape.measures._chain.ChainView`); else
        None.
    """

    landscape: Landscape
    surface: object
    trajectory: object
    timings: dict
    simulator: object = None
    activations: object = None
    timelapse: object = None

    def __repr__(self) -> str:
        what = repr(self.trajectory) if self.trajectory is not None else \
            f"a live simulator of {self.simulator.n_balls} balls"
        return f"Run({self.landscape.title!r}: {self.surface!r}; {what})"

    def group(self, name: str) -> np.ndarray:
        """Boolean mask ``[N]`` of the balls in the group called ``name``."""
        names = [g["name"] for g in self.trajectory.groups]
        if name not in names:
            raise KeyError(f"no group {name!r}; groups: {names}")
        return self.trajectory.group == names.index(name)


@dataclasses.dataclass(eq=False)
class Computed:
    scene: Scene
    runs: list
    seconds: float

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}({type(self.scene).__name__}, quality "
                 f"{self.scene.quality.name!r}, {len(self.runs)} landscape"
                 f"{'s' if len(self.runs) != 1 else ''}, {self.seconds:.1f} s)"]
        lines += [f"  [{i}] {r!r}" for i, r in enumerate(self.runs)]
        return "\n".join(lines)

    def summary(self) -> dict:
        """What each landscape's balls did: per group, mean loss first → last (the surface
        under the balls; in projected mode also their own true loss and distance from the
        plane), escaped, settled, mean per-layer gradient norms at the first step (``None``
        for a layer that overflowed), what the optimizer adapts and what is clipped; the
        census of minima."""
        out = {"scene": type(self.scene).__name__, "seed": self.scene.seed,
               "quality": self.scene.quality.name, "run_time": self.scene.run_time,
               "seconds": round(self.seconds, 2), "landscapes": []}
        for r in self.runs:
            tr = r.trajectory
            groups = []
            for g, info in enumerate(tr.groups):
                m = tr.group == g
                g0 = tr.grad_norms[0, m].astype(np.float64)
                row = {"name": info["name"], "n_balls": int(m.sum()),
                       "optimizer": info.get("optimizer_label", info.get("optimizer")),
                       "clipping": info.get("clipping"),
                       "loss_start": _mean(tr.heights[0, m]),
                       "loss_end": _mean(tr.heights[-1, m]),
                       "escaped": int(tr.escaped[-1, m].sum()),
                       "settled": int(tr.settled[-1, m].sum()),
                       "grad_norms_start": [float(v) if np.isfinite(v) else None
                                            for v in g0.mean(0)],
                       "grad_overflow": int(tr.grad_overflow[:, m].any((0, 2)).sum())}
                if tr.mode == "projected":
                    row.update(true_loss_start=_mean(tr.true_loss[0, m]),
                               true_loss_end=_mean(tr.true_loss[-1, m]),
                               off_plane_end=_mean(tr.off_plane[-1, m]))
                groups.append(row)
            s = r.surface.summary()
            out["landscapes"].append({
                "title": r.landscape.title, "mode": tr.mode,
                "config_hash": r.surface.meta.get("config_hash"),
                "cached": bool(r.timings.get("cached")), "grid": s["grid"],
                "min_loss": s["min_loss"], "center_loss": s["center_loss"],
                "steps": int(tr.steps[-1]), "layers": list(tr.layers), "groups": groups,
                "census": tr.census, "timings": {k: v for k, v in r.timings.items()
                                                 if isinstance(v, (int, float))}})
        return out


def _mean(x) -> float | None:
    x = np.asarray(x, np.float64)
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else None


# ------------------------------------------------------------------ compute


def start_points(scene: Scene, b, spans: dict) -> np.ndarray:
    """``[n, 2]`` start points of group ``b`` in its surface's own plane coordinates
    (``spans``: landscape index → the surface's ``(a_min, a_max, b_min, b_max)``, so PCA and
    Hessian planes are in units of ``span × span_unit``), fixed by the scene's seed, the
    group's place in the scene and the quality's ball cap; a group with ``same_start_as``
    gets the other group's points exactly, which needs the same plane span."""
    cache = scene.__dict__.setdefault("_start_points", {})
    if id(b) not in cache:
        li, gi = b.where
        if b.same_start_as is not None:
            lj = b.same_start_as.where[0]
            if not np.allclose(spans[li], spans[lj], rtol=1e-6):
                raise LandscapeError(
                    f"same_start_as: landscape {li + 1} spans {_fmt_span(spans[li])} but "
                    f"landscape {lj + 1} spans {_fmt_span(spans[lj])}; the same points would "
                    f"not be the same places (give both the same plane, or start each anew)")
            cache[id(b)] = start_points(scene, b.same_start_as, spans)
        else:
            cap = scene.quality.max_balls
            n = int(b.n) if cap is None else min(int(b.n), cap)
            cache[id(b)] = b.start_points(n, spans[li], scene.rng(f"starts/{li}/{gi}"))
    return cache[id(b)]


def _fmt_span(span) -> str:
    return "a ∈ [{:.3g}, {:.3g}], b ∈ [{:.3g}, {:.3g}]".format(*span)


def ball_groups(scene: Scene, land: Landscape, spans: dict):
    """The landscape's groups as `landscape.balls._groups.BallGroup`s at their start points."""
    return [b.group(points=start_points(scene, b, spans)) for b in land.groups]


def compute_scene(scene: Scene, *, log=None, cache: bool = True, simulate: bool = True,
            progress: bool | None = False, events=None) -> Computed:
    """Surfaces and ball trajectories for every landscape of a constructed scene.

    ``simulate=False`` builds the surfaces and the ball simulators but runs no steps (the
    interactive window runs them live): each `Run` then has ``trajectory=None`` and a
    ``simulator``. ``progress``: the surface's progress bar (None: on a terminal or in a
    notebook, for work over ~2 s). ``events``: an `landscape.progress.Events` or one listener,
    told when each landscape's ``"surface"``, ``"balls"`` or ``"timelapse"`` phase starts and
    ends (``item``: the landscape's index, ``label``: its title).
    """
    from landscape.pipeline import build_surface

    log = log or (lambda line: None)
    events = as_events(events)
    t_all = time.perf_counter()
    runs = []
    spans = {}
    for land in scene.landscapes:
        where = {"item": land.index, "n_items": len(scene.landscapes), "label": land.title}
        if land.timelapse is not None:
            if not simulate:
                raise LandscapeError(f"{land.title!r} is a timelapse of a recorded training run: "
                                     "render it (landscape render); the window runs live balls")
            events.start("timelapse", **where)
            runs.append(_timelapse_run(scene, land, cache=cache, progress=progress, log=log))
            events.end("timelapse", **where)
            continue
        if not land.groups:
            raise LandscapeError(f"landscape {land.title!r} has no balls (land.balls(...))")
        t0 = time.perf_counter()
        events.start("surface", **where)
        surface, timings = build_surface(land.config, cache=cache, progress=progress, log=log)
        timings["build"] = time.perf_counter() - t0
        events.end("surface", **where)
        log(f"landscape: [{land.index + 1}/{len(scene.landscapes)}] {land.title}: surface "
            + ("from cache" if timings.get("cached") else f"computed in {timings['build']:.1f} s"))
        for note in surface.meta.get("notes", []):
            log(f"landscape: note: {land.title}: {note}")
        spans[land.index] = surface.span
        runs.append(_balls_run(scene, land, surface, timings, spans, simulate=simulate,
                               events=events, where=where, log=log))
    return Computed(scene, runs, time.perf_counter() - t_all)


def _balls_run(scene, land, surface, timings, spans, *, simulate, events, where, log) -> Run:
    """The landscape's balls on its surface (rolled unless ``simulate`` is False) and what
    its panel needs at θ*."""
    from landscape.balls import Simulator
    from landscape.pipeline import plane_from_surface, task_from_surface

    t0 = time.perf_counter()
    task, plane = task_from_surface(surface), plane_from_surface(surface)
    sim = Simulator(task, plane, surface, ball_groups(scene, land, spans), mode=land.mode,
                    key=scene.key(f"balls/{land.index}"))
    traj = None
    if simulate:
        n_steps = max(1, scene.steps(land))
        events.start("balls", **where, done=0, total=n_steps)
        traj = sim.run(n_steps, record_every=1)
        events.end("balls", **where, done=n_steps, total=n_steps)
        timings["simulate"] = time.perf_counter() - t0
        log(f"landscape:       {traj.n_balls} balls × {n_steps} steps in "
            f"{timings['simulate']:.1f} s")
    acts = None
    if land.panel == "features":
        raise LandscapeError(f"{land.title!r}: the features panel follows a training run; "
                             "use it on a timelapse (self.timelapse(..., panel=\"features\"))")
    if land.panel == "activations":
        from landscape.measures import activation_stats

        acts = activation_stats(task)
    elif land.panel == "chain":
        from landscape.measures import chain_view

        acts = chain_view(task)
    return Run(land, surface, traj, timings, sim, acts)


def _timelapse_run(scene, land, *, cache, progress, log) -> Run:
    """A landscape that shows the training run itself (`Scene.timelapse`)."""
    from landscape.pipeline import build_timelapse, timelapse_trajectory

    t0 = time.perf_counter()
    tl = build_timelapse(land.config, land.timelapse["kind"], land.timelapse["n_checkpoints"],
                         cache=cache, progress=progress, log=log)
    n = max(1, scene.steps(land))
    cfg = land.config
    traj = timelapse_trajectory(tl, n + 1, info={
        "name": "network",
        "optimizer": cfg.train_optimizer, "lr": cfg.train_lr})
    timings = {"build": time.perf_counter() - t0, "cached": False}
    log(f"landscape: [{land.index + 1}/{len(scene.landscapes)}] {land.title}: timelapse of "
        f"{tl.n_checkpoints} checkpoints in {timings['build']:.1f} s")
    extra = features_of(tl) if land.panel == "features" else None
    return Run(land, tl.surfaces[-1], traj, timings, activations=extra, timelapse=tl)


def features_of(tl) -> dict:
    """The first layer's weights at each checkpoint of a riding timelapse, as images
    (`landscape.measures._features.first_layer_features`), and the features panel's colour scale: twice
    the standard deviation of the initial weights."""
    from landscape.measures import first_layer_features
    from landscape.pipeline import task_from_surface

    if tl.kind != "riding":
        raise LandscapeError("the features panel follows the network through its checkpoints: "
                             "use it with a riding timelapse (kind=\"riding\")")
    model = task_from_surface(tl.surfaces[0]).model
    n_in = model.layout.get("dense_0", "w").shape[0] if model.spec.get("kind") == "mlp" else 0
    side = int(round(np.sqrt(n_in)))
    shape = (side, side) if side * side == n_in else None
    feats = np.stack([first_layer_features(model, s.theta, shape) for s in tl.surfaces])
    return {"features": feats, "scale": 2.0 * float(np.std(feats[0]))}


# ------------------------------------------------------------------ timeline


# ------------------------------------------------------------------ render


def title(run: Run) -> str:
    """The view's title: the scene's, with the loss at θ* (side-by-side views share one
    vertical scale; the number makes the comparison exact), and what the balls are when it
    is not what the surface shows (projected runs; batch norm with minibatch statistics)."""
    c = run.surface.meta.get("center_loss")
    if run.timelapse is not None:
        tl = run.timelapse
        return (run.landscape.title + f"  ·  loss {float(tl.loss[0]):.3g} → "
                f"{float(tl.loss[-1]):.3g} in {int(tl.steps[-1])} steps")
    out = run.landscape.title + (f"  ·  loss at θ* {c:.3g}" if c is not None else "")
    if run.landscape.mode == "projected":
        out += "  ·  balls: weight-space runs at their projection"
    if run.surface.meta.get("bn_policy") == "batch":
        out += "  ·  balls: minibatch BN statistics"
    return out
