"""A scene you steer: one session object whose knobs change a view's network, plane, training or
ball groups and recompute what depends on them (issue 20's core; the window, browser and
notebook faces are built on it).

    >>> pg = Playground("scenes/initialization.py", quality="tiny")       # doctest: +SKIP
    >>> pg.set(view=0, activation="tanh")                                  # doctest: +SKIP
    {'knobs': {'activation': ('relu', 'tanh')}, 'seconds': 1.3, ...}
    >>> pg.add_view(copy_of=0, init="xavier")                              # doctest: +SKIP
    >>> pg.save_scene("my_exploration.py")                                 # doctest: +SKIP

The state is a scene. Every change is applied to the constructed scene, written out as a scene
file (`landscape.playground.scene_source`) and built again from it, so what ``pg.computed``
shows is by construction what ``ls.compute`` gives for ``pg.save_scene(path)``'s file, and each
view's surface is ``ls.build_surface(pg.config(view))``'s (both are tested). Surfaces come from
the cache when a knob leaves them unchanged (a ball knob: only the balls roll again, from the
same starts).
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time

from landscape.errors import LandscapeError
from landscape.files import atomic_write
from landscape.pipeline import LandscapeConfig
from landscape.playground._source import scene_source
from landscape.scene import (
    Balls,
    ComputedScene,
    Orbit,
    Roll,
    Scene,
    build_scene,
    compute,
    compute_scene,
    config_title,
)

#: network, plane and training knobs: `LandscapeConfig` fields (the grid is the quality's),
#: plus ``depth`` and ``width`` for a plain stack of equal hidden layers
NETWORK_KNOBS = tuple(f.name for f in dataclasses.fields(LandscapeConfig)
                      if f.name not in ("grid", "pretrain")) + ("depth", "width")
#: knobs of a ball group (``group=`` picks one by index or name; default every group)
BALL_KNOBS = tuple(f.name for f in dataclasses.fields(Balls)
                   if f.name not in ("where", "same_start_as", "points"))
#: how a view is shown
VIEW_KNOBS = ("title", "panel", "log_scale", "mode")
KNOBS = NETWORK_KNOBS + BALL_KNOBS + VIEW_KNOBS


class _Default(Scene):
    """One view of a network and a group of balls (the playground's own start)."""


class Playground:
    """A steerable scene: ``Playground(path, name=None, *, quality="low")`` from a scene file,
    or ``Playground(**fields)`` for one view of `LandscapeConfig` fields with a default group
    of balls (``steps`` of rolling, default 100). ``simulate=False`` computes the surfaces and
    starts the balls' simulators without rolling them (the window rolls them live).

    Attributes:
      computed: the current state, as `landscape.compute` returns it (a `ComputedScene`).
      scene: the constructed scene it is computed from.
    """

    def __init__(self, path=None, name: str | None = None, *, quality="low",
                 seed: int | None = None, steps: int = 100, simulate: bool = True, **fields):
        self.quality = quality
        self.simulate = bool(simulate)
        self._dir = tempfile.TemporaryDirectory(prefix="landscape-playground-")
        self._n = 0
        if path is not None:
            if fields:
                raise LandscapeError("give a scene file or LandscapeConfig fields, not both")
            scene = build_scene(os.fspath(path), name, seed=seed, quality=quality)
        else:
            if name is not None:
                raise LandscapeError("name= picks a scene in a file; give the file too")
            scene = _Default(seed=seed, quality=quality)
            title = fields.pop("title", None)
            land = scene.landscape(title=title, **fields)
            land.balls(optimizer="sgd", lr=0.1)   # its name follows the optimizer and rate
            scene.play(Roll(steps=int(steps)), Orbit(degrees=30), run_time=5)
        self._rebuild(scene)
        self.computed = self._compute()

    # ---------------------------------------------------------------- reading

    @property
    def n_views(self) -> int:
        return len(self.scene.landscapes)

    def config(self, view: int = 0) -> LandscapeConfig:
        """The `LandscapeConfig` of view ``view`` (its surface is ``ls.build_surface`` of it)."""
        return self._land(view).config

    def groups(self, view: int = 0) -> list[Balls]:
        return list(self._land(view).groups)

    def source(self) -> str:
        """The scene file that reproduces the current views (what `save_scene` writes)."""
        return self._source

    def save_scene(self, path) -> str:
        """Write the scene file of the current views to ``path`` (atomically)."""
        path = os.fspath(path)
        if not path.endswith(".py"):
            raise LandscapeError(f"{path}: a scene file ends in .py")
        with atomic_write(path) as fh:
            fh.write(self._source.encode())
        return path

    def widget(self, view: int = 0):
        """ipywidgets controls for view ``view`` beside its still: each control's description
        is its knob's name; a change calls `set` and shows the new picture and one status line
        (see `landscape.playground._widgets`)."""
        from landscape.playground._widgets import build_widget

        return build_widget(self, view)

    def _ipython_display_(self):
        """A notebook cell ending in ``pg`` shows the controls (a still without ipywidgets)."""
        from IPython.display import display

        try:
            display(self.widget())
        except LandscapeError as e:
            print(f"landscape: {e}")
            display(self.computed.still())

    def __repr__(self) -> str:
        views = "; ".join(f"{i}: {land.title}" for i, land in enumerate(self.scene.landscapes))
        return f"Playground({self.n_views} view{'s' if self.n_views > 1 else ''}: {views})"

    # ---------------------------------------------------------------- changing

    def set(self, view: int = 0, *, group=None, **knobs) -> dict:
        """Change knobs of view ``view`` (network, plane, training: `NETWORK_KNOBS`; ball
        groups: `BALL_KNOBS`, for ``group`` — an index or a name — or every group; the view:
        `VIEW_KNOBS`) and recompute. Blocks until the new state is ready; returns what changed
        (``knobs``: name → (old, new)) and the seconds it took. A value that cannot apply is
        one `LandscapeError`, and the state stays as it was."""
        if not knobs:
            raise LandscapeError(f"no knob given; knobs: {', '.join(KNOBS)}")
        unknown = [k for k in knobs if k not in KNOBS]
        if unknown:
            raise LandscapeError(f"unknown knob {unknown[0]!r}; knobs: {', '.join(KNOBS)}")
        t0 = time.perf_counter()
        land = self._land(view)
        changed = {}
        net = {k: v for k, v in knobs.items() if k in NETWORK_KNOBS}
        balls = {k: v for k, v in knobs.items() if k in BALL_KNOBS}
        look = {k: v for k, v in knobs.items() if k in VIEW_KNOBS}
        if group is not None and not balls:
            raise LandscapeError("group= applies to ball knobs "
                                 f"({', '.join(BALL_KNOBS)}); give one or drop group")
        scene = self._copy()
        new = scene.landscapes[land.index]
        if net:
            fields = self._network_fields(new.config, net)
            for k, v in net.items():
                changed[k] = (self._network_value(land.config, k), v)
            cfg = new.config.replace(**fields, grid=scene.quality.grid).validate()
            new.config = cfg
            if "title" not in look and new.title == _describe(land.config):
                new.title = _describe(cfg)     # a title that named the old network follows it
        if balls:
            for j in self._group_indices(new, group):
                old = new.groups[j]
                changed.update({k if len(new.groups) == 1 else f"{old.name}.{k}":
                                (getattr(old, k), v) for k, v in balls.items()})
                new.groups[j] = _replaced(old, balls)
            for lnd in scene.landscapes:       # shared starts follow the replaced groups
                for b in lnd.groups:
                    if b.same_start_as is not None:
                        si, sj = b.same_start_as.where
                        b.same_start_as = scene.landscapes[si].groups[sj]
                        b.n = b.same_start_as.n
        for k, v in look.items():
            changed[k] = (getattr(new, k), v)
            if k == "mode" and new.timelapse is not None:
                raise LandscapeError("mode does not apply to a timelapse view")
            setattr(new, k, v)
        self._commit(scene)
        return {"view": land.index, "knobs": changed, "seconds": time.perf_counter() - t0}

    def add_view(self, copy_of: int = 0, **knobs) -> int:
        """A new view: a copy of view ``copy_of`` (its balls starting from the same points, the
        same rolls) with ``knobs`` changed; returns its index. The A/B comparison."""
        src = self._land(copy_of)
        if len(self.scene.landscapes) >= 4:
            raise LandscapeError("a scene shows at most 4 views side by side")
        scene = self._copy()
        orig = scene.landscapes[src.index]
        land = scene.landscape(orig.config, title=orig.title, panel=orig.panel,
                               log_scale=orig.log_scale, mode=orig.mode, scale=orig.scale)
        land.timelapse = None if orig.timelapse is None else dict(orig.timelapse)
        for b in orig.groups:
            land.balls(group=_replaced(b, {"same_start_as": b}))
        for seg in scene.segments:
            if orig.index in seg.rolls:
                seg.rolls[land.index] = seg.rolls[orig.index]
        self._commit(scene)
        if knobs:
            try:
                self.set(land.index, **knobs)
            except LandscapeError:
                self.remove_view(land.index)
                raise
        return land.index

    def remove_view(self, view: int) -> None:
        """Drop view ``view`` (the last one cannot be removed)."""
        self._land(view)
        if self.n_views == 1:
            raise LandscapeError("the playground keeps at least one view")
        scene = self._copy()
        if any(b.same_start_as is not None and b.same_start_as.where[0] == view
               for i, lnd in enumerate(scene.landscapes) if i != view for b in lnd.groups):
            raise LandscapeError(f"view {view} holds the starts other views copy; remove those "
                                 "first")
        del scene.landscapes[view]
        for i, lnd in enumerate(scene.landscapes):
            lnd.index = i
            for j, b in enumerate(lnd.groups):
                b.where = (i, j)
        for seg in scene.segments:
            seg.rolls = {(k - (k > view)): v for k, v in seg.rolls.items() if k != view}
        self._commit(scene)

    # ---------------------------------------------------------------- inside

    def _land(self, view):
        if isinstance(view, bool) or not isinstance(view, int) or \
                not 0 <= view < len(self.scene.landscapes):
            raise LandscapeError(f"view must be 0..{len(self.scene.landscapes) - 1}, got {view!r}")
        return self.scene.landscapes[view]

    @staticmethod
    def _group_indices(land, group) -> list[int]:
        if group is None:
            return list(range(len(land.groups)))
        names = [b.name for b in land.groups]
        if isinstance(group, int) and not isinstance(group, bool) and 0 <= group < len(names):
            return [group]
        if isinstance(group, str) and group in names:
            return [names.index(group)]
        raise LandscapeError(f"no group {group!r} in this view; its groups: "
                             f"{', '.join(map(repr, names))} (or 0..{len(names) - 1})")

    @staticmethod
    def _network_value(cfg, k):
        if k == "depth":
            return len(cfg.widths)
        if k == "width":
            return cfg.widths[0] if cfg.widths else None
        return getattr(cfg, k)

    @staticmethod
    def _network_fields(cfg, net: dict) -> dict:
        fields = {k: v for k, v in net.items() if k not in ("depth", "width")}
        if "depth" in net or "width" in net:
            if "widths" in net:
                raise LandscapeError("give widths, or depth and width, not both")
            widths = fields.get("widths", cfg.widths)
            depth = net.get("depth", len(widths))
            width = net.get("width", widths[0] if widths else 32)
            for k, v in (("depth", depth), ("width", width)):
                if isinstance(v, bool) or not isinstance(v, int) or v < (0 if k == "depth" else 1):
                    raise LandscapeError(f"{k} must be a whole number of at least "
                                         f"{0 if k == 'depth' else 1}, got {v!r}")
            fields["widths"] = (int(width),) * int(depth)
        if "widths" in fields:
            fields["widths"] = tuple(fields["widths"])
        return fields

    def _copy(self) -> Scene:
        """A fresh construction of the current state (changes happen on it, not on the scene
        being shown, so a failed change leaves the state as it was)."""
        return self._build(self._source)

    def _build(self, source: str) -> Scene:
        self._n += 1
        path = os.path.join(self._dir.name, f"state_{self._n}.py")
        with open(path, "w") as f:
            f.write(source)
        return build_scene(path, None, quality=self.quality)

    def _rebuild(self, scene: Scene) -> None:
        self._source = scene_source(scene, doc=scene.summary() or None)
        self.scene = self._build(self._source)

    def _compute(self):
        if self.simulate:
            return compute(self.scene, progress=False)
        c = compute_scene(self.scene, simulate=False)     # the window rolls them live
        return ComputedScene(c.scene, c.runs, c.seconds)

    def _commit(self, scene: Scene) -> None:
        """Make ``scene`` the state: written out, built again from the file, computed."""
        before = (self._source, self.scene)
        self._rebuild(scene)
        try:
            self.computed = self._compute()
        except BaseException:
            self._source, self.scene = before
            raise


def _replaced(b: Balls, changes: dict) -> Balls:
    """A copy of ``b`` with ``changes``; a name that was derived from the optimizer and rate is
    derived again."""
    kw = {f.name: getattr(b, f.name) for f in dataclasses.fields(Balls) if f.name != "where"}
    if kw["name"] == f"{b.optimizer} lr={b.lr:g}":
        kw["name"] = None
    if kw["start"] != "points":
        kw["points"] = None
    kw.update(changes)
    if "same_start_as" in changes:
        kw["n"] = changes["same_start_as"].n
    return Balls(**kw)


def _describe(cfg) -> str:
    return config_title(cfg)
