"""Scenes: short scripts that set up real networks and direct what happens on screen.

Protocol (after manim). A scene is a subclass of `Scene` with a ``construct()`` method. Nothing
runs when its file is imported, so the CLI can list, select, dry-run and test scenes.
``construct()`` only *records a plan*: the landscapes to show (each a `LandscapeConfig`), the
ball groups on them, and a timeline of animations. A player (`landscape.scene`) then carries the
plan out: it computes every surface (from the cache when nothing changed) and every ball
trajectory, and either stops there (``--dry-run``, tests), writes a video, or opens a window.

    from landscape.scene import Scene, Roll, Orbit

    class Moons(Scene):
        '''A two-layer network on two moons; balls roll into the valley.'''

        def construct(self):
            land = self.landscape(dataset="moons", widths=(16,), output="sigmoid",
                                  title="sigmoid(W2·relu(W1·X + b1) + b2)")
            land.balls(n=200, optimizer="sgd", lr=0.02)
            self.caption("Every ball is a real SGD run on real minibatches")
            self.play(Roll(steps=300), Orbit(degrees=60), run_time=8)
            self.wait(2)

Seeds: every landscape uses the scene's ``seed`` (``--seed N`` overrides it) unless its config
names one; ball start points and minibatches come from ``self.key(name)``.

Quality: ``self.quality`` is one row of `landscape.picture._quality.QUALITIES` (surface grid, video size
and frame rate, ball cap). Scenes normally ignore it: the player applies the grid and the frame
rate, so one scene renders at ``tiny`` in the tests and at ``high`` for a lecture.

Units and modes: start positions are in the plane's own coordinates — the numbers on the axes,
which for PCA and Hessian planes are ``span × span_unit`` (see `landscape.planes`). A
landscape's balls run in slice mode (on the plane) unless it is made with ``mode="projected"``
(real weight-space runs, drawn at their projection with their distance from the plane).
"""

from __future__ import annotations

import dataclasses
import math
import zlib

import numpy as np

from landscape.balls import MODES, N_BALLS, BallGroup  # modes; a group's defaults
from landscape.errors import LandscapeError, choice
from landscape.picture import CAMERAS as CAMERA_PRESETS
from landscape.picture import QUALITIES, Quality, get_quality  # noqa: F401  (the one table)

# ------------------------------------------------------------------ what a scene adds

CAMERAS = tuple(CAMERA_PRESETS)  # the renderer's presets, by name
PANELS = ("gradients", "activations", "chain", "features")  # True: "gradients"; False: none


@dataclasses.dataclass
class Balls:
    """A group of balls that share an optimizer and its settings: a scene's handle on a
    `landscape.balls.BallGroup`, whose settings and defaults it takes (one set of defaults
    for scenes, the API and the CLI), plus what only a scene has — where the group sits
    (``where``) and whose start points it copies (``same_start_as``). `Balls.group` gives
    the `BallGroup`.

    Attributes:
      name: legend label (default: the optimizer and learning rate).
      n: number of balls (capped by the quality's ``max_balls``).
      optimizer: sgd | momentum | nesterov | adam | rmsprop | adagrad (`landscape.balls._groups`;
        in slice mode the adaptive ones adapt per plane coordinate).
      lr: learning rate; batch_size: minibatch per ball and step (``None``: full batch).
      clip_norm / clip_value: clip the network's weight-space gradient by global norm / by
        value (``None``: off); see `landscape.balls._measure`.
      start: a start shape of `landscape.balls._groups.STARTS` — ``disc`` (default), ``uniform``,
        ``ring``, ``grid``, ``center`` — filling ``radius`` × the half-span, or ``points``
        (``points`` [n, 2] in plane coordinates).
      momentum, b1, b2, eps, decay: optimizer settings (only those that apply).
      origin: projected landscapes only: ``plane`` or ``init`` (a fresh initialization).
      same_start_as: another `Balls` (on this or another landscape of the scene with the same
        plane span) whose start points this group copies exactly: a fair race.
    """

    name: str | None = None
    n: int = N_BALLS
    optimizer: str = BallGroup.optimizer
    lr: float = BallGroup.lr
    batch_size: int | None = BallGroup.batch_size
    clip_norm: float | None = None
    clip_value: float | None = None
    start: str = BallGroup.start
    radius: float | None = None
    points: object = None
    momentum: float | None = None
    b1: float | None = None
    b2: float | None = None
    eps: float | None = None
    decay: float | None = None
    origin: str | None = None
    same_start_as: "Balls | None" = None
    where: tuple | None = dataclasses.field(default=None, repr=False)  # (landscape, group)

    def __post_init__(self):
        if self.start == "points" and self.points is not None:
            self.points = np.asarray(self.points, np.float32).reshape(-1, 2)
            self.n = len(self.points)
        self.check()
        if self.name is None:
            self.name = f"{self.optimizer} lr={self.lr:g}"

    def group(self, points=None):
        """This group as a `landscape.balls.BallGroup` (at ``points`` when given)."""
        pts = self.points if points is None else points
        pts = None if pts is None else tuple(map(tuple, np.asarray(pts).tolist()))
        shared = {f.name: getattr(self, f.name) for f in dataclasses.fields(BallGroup)
                  if hasattr(self, f.name)}           # the same settings, by the same names
        shared.update(name=str(self.name), points=pts)
        if points is not None:                         # placed: the shape no longer applies
            shared.update(start="points", n=None, radius=None)
        return BallGroup(**shared)

    def check(self, n_data: int | None = None) -> None:
        """The dynamics' own checks (optimizer and its settings, learning rate, batch size,
        clipping, start), run when the scene is constructed so an error points at the
        scene's line."""
        self.group().check(n_data)

    def start_points(self, n: int, span, rng: np.random.Generator) -> np.ndarray:
        """``[n, 2]`` plane coordinates for this group's balls (float32) on ``span`` =
        ``(a_min, a_max, b_min, b_max)``, the surface's own coordinates."""
        from landscape.balls import start_points

        if self.start == "points":
            return self.points[:n]
        return start_points(self.start, n, span, radius=self.radius, rng=rng)


@dataclasses.dataclass(eq=False)
class Landscape:
    """One landscape on screen: a surface, its ball groups, a title and a gradient panel.

    Made by `Scene.landscape`; add balls with `Landscape.balls`.
    """

    config: object  # LandscapeConfig
    title: str
    index: int
    panel: bool | str = True   # True: gradients; "activations"; False: none
    log_scale: bool | None = None
    mode: str = "slice"
    groups: list = dataclasses.field(default_factory=list)
    scale: str | None = None   # views with the same key share one height and colour range
    timelapse: dict | None = None   # {"kind", "n_checkpoints"}: the training run, not balls

    def balls(self, **kw) -> Balls:
        """Add a group of balls (keywords of `Balls`) and return it."""
        b = kw.pop("group", None) or Balls(**kw)
        if b.origin is not None and self.mode != "projected":
            raise LandscapeError("origin applies to projected balls only; make the landscape "
                                 "with mode=\"projected\" or drop origin")
        if b.batch_size is not None:  # larger than the data is an error: say so here
            b.check(int(self.config.build_data().x_eval.shape[0]))
        if b.same_start_as is not None:
            if not isinstance(b.same_start_as, Balls) or b.same_start_as.where is None:
                raise LandscapeError("same_start_as must be a ball group added earlier "
                                     "(the value land.balls(...) returned)")
            b.n = b.same_start_as.n
        b.where = (self.index, len(self.groups))
        self.groups.append(b)
        return b


# ------------------------------------------------------------------ animations


@dataclasses.dataclass
class Roll:
    """Let the balls take ``steps`` optimizer steps (on ``landscapes``, default all)."""

    steps: int
    landscapes: tuple = ()

    def __post_init__(self):
        if int(self.steps) < 1:
            raise LandscapeError(f"Roll needs at least 1 step, got {self.steps}")
        if isinstance(self.landscapes, Landscape):
            self.landscapes = (self.landscapes,)


@dataclasses.dataclass
class Orbit:
    """Turn the camera ``degrees`` around the vertical axis (eased in and out)."""

    degrees: float = 90.0


@dataclasses.dataclass
class Segment:
    """A stretch of the timeline: ``run_time`` seconds during which ``rolls`` (landscape
    index → steps) play out and the camera turns by ``orbit`` degrees."""

    run_time: float
    rolls: dict
    orbit: float = 0.0
    caption: str | None = None
    camera: str | None = None


# ------------------------------------------------------------------ the scene


class Scene:
    """Subclass me and write ``construct()``; see the module docstring.

    Class attributes a scene may set: ``seed`` (default 0), ``camera`` (a renderer preset,
    default ``"iso"``).
    """

    seed: int = 0
    camera: str = "iso"

    def __init__(self, *, seed: int | None = None, quality: str | Quality = "medium"):
        if seed is not None:
            self.seed = int(seed)
        self.quality = get_quality(quality)
        self.landscapes: list[Landscape] = []
        self.segments: list[Segment] = []
        self._caption: str | None = None
        self._camera: str | None = None

    def construct(self) -> None:  # pragma: no cover - subclasses define it
        raise NotImplementedError(f"{type(self).__name__} has no construct() method")

    # -------------------------------------------------------------- setup

    @classmethod
    def summary(cls) -> str:
        """The first line of the scene's docstring (what `landscape list` prints)."""
        doc = (cls.__doc__ or "").strip()
        return doc.splitlines()[0].strip() if doc else ""

    def key(self, name: str):
        """A JAX PRNG key for ``name``, derived from the scene's seed (stable across runs)."""
        import jax

        return jax.random.fold_in(jax.random.key(self.seed), zlib.crc32(name.encode()))

    def rng(self, name: str) -> np.random.Generator:
        """A numpy generator for ``name``, derived from the scene's seed."""
        return np.random.default_rng([self.seed, zlib.crc32(name.encode())])

    def landscape(self, config=None, *, title: str | None = None, panel: bool | str = True,
                  log_scale: bool | None = None, mode: str = "slice", scale: str | None = None,
                  **fields) -> Landscape:
        """Add a landscape: a `LandscapeConfig` (or its fields as keywords).

        ``mode``: ``"slice"`` (balls move on the plane, following the projection of real
        gradients) or ``"projected"`` (every ball is a real weight-space training run, drawn at
        its projection onto the plane; the legend gives its own loss and distance from the
        plane).

        The scene's seed is used unless ``seed`` is given; the surface grid follows the
        quality preset. ``log_scale``: heights as log10(loss) (``None``: the renderer decides,
        log when the losses span more than three decades). ``scale``: views side by side share
        one height and colour range; give views a key (e.g. one per network compared row by
        row) to share it only among views with the same key. ``panel``: ``True`` (or
        ``"gradients"``) the per-layer gradient panel, ``"activations"`` each hidden layer's
        activation distribution and saturated share at θ* (`landscape.measures._saturation`),
        ``"chain"`` the chain rule's factors for a chain of single neurons
        (`landscape.measures._chain`), ``"features"`` the first layer's weights as images as a
        riding timelapse trains (`landscape.render.panels._features`), ``False`` none. Names and numbers are checked here, so a typo is reported at the line
        of the scene that made it.
        """
        from landscape.pipeline import LandscapeConfig

        if config is None:
            fields.setdefault("seed", self.seed)
            try:
                config = LandscapeConfig(**fields)
            except TypeError as e:
                raise LandscapeError(f"landscape(): {e}") from None
        elif fields:
            config = config.replace(**fields)
        if len(self.landscapes) >= 4:
            raise LandscapeError("a scene shows at most 4 landscapes side by side")
        config = config.replace(grid=self.quality.grid).validate()
        choice("mode", mode, MODES)
        if not isinstance(panel, bool):
            choice("panel", panel, PANELS)
            if panel == "gradients":
                panel = True
        if scale is not None and not isinstance(scale, str):
            raise LandscapeError(f"scale must be a name (a string), got {scale!r}")
        land = Landscape(config, title or _describe(config), len(self.landscapes), panel,
                         log_scale, mode, scale=scale)
        self.landscapes.append(land)
        return land

    def timelapse(self, config=None, *, kind: str = "riding", n_checkpoints: int = 8,
                  title: str | None = None, panel: bool | str = True,
                  log_scale: bool | None = None, scale: str | None = None,
                  **fields) -> Landscape:
        """Add a landscape that shows the network's own training run (`landscape.pipeline._timelapse`):
        surfaces at ``n_checkpoints`` checkpoints (one job), the real network as a ball.
        ``kind="riding"``: a plane through each θ_t, so the surface morphs as training goes and
        the network sits at its centre; ``kind="pca"``: one fixed plane (PCA of the path), the
        network moves on it and the legend gives its own loss and distance from the plane.
        The panel shows the run's own per-layer gradient norms at each step. ``Roll(steps=n)``
        plays the whole run over ``n`` frames' worth of steps; the config must train
        (``train_steps`` ≥ 1) and keep ``n_checkpoints`` checkpoints."""
        from landscape.pipeline import KINDS

        choice("timelapse plane", kind, KINDS)
        if isinstance(n_checkpoints, bool) or int(n_checkpoints) != n_checkpoints \
                or n_checkpoints < 2:
            raise LandscapeError(f"a timelapse needs at least 2 checkpoints, got {n_checkpoints}")
        land = self.landscape(config, title=title, panel=panel, log_scale=log_scale,
                              scale=scale, **fields)
        if land.config.train_steps < 1:
            self.landscapes.pop()
            raise LandscapeError("a timelapse needs a trained network; this one is not "
                                 "trained (train_steps is 0)")
        land.timelapse = {"kind": kind, "n_checkpoints": int(n_checkpoints)}
        return land

    # -------------------------------------------------------------- the timeline

    def play(self, *animations, run_time: float = 5.0) -> None:
        """Play ``animations`` together over ``run_time`` seconds of video."""
        if not self.landscapes:
            raise LandscapeError("add a landscape (self.landscape(...)) before play()")
        if not (math.isfinite(run_time) and run_time > 0):
            raise LandscapeError(f"run_time must be a positive number of seconds, got {run_time}")
        rolls, az = {}, 0.0
        for a in animations:
            if isinstance(a, Roll):
                for land in a.landscapes or self.landscapes:
                    rolls[land.index] = rolls.get(land.index, 0) + int(a.steps)
            elif isinstance(a, Orbit):
                az += float(a.degrees)
            else:
                raise LandscapeError(f"play() takes Roll and Orbit animations, not {a!r}")
        self._push(run_time, rolls, az)

    def wait(self, seconds: float = 1.0) -> None:
        """Hold the picture (balls and camera still) for ``seconds``."""
        if not (math.isfinite(seconds) and seconds > 0):
            raise LandscapeError(f"wait() needs a positive number of seconds, got {seconds}")
        self._push(seconds, {}, 0.0)

    def caption(self, text: str | None) -> None:
        """Show ``text`` under the picture from now on (``None`` clears it)."""
        self._caption = text

    def set_camera(self, preset: str) -> None:
        """Jump to a camera preset (``iso``, ``top``, ``side``) from the next segment on."""
        self._camera = choice("camera preset", preset, CAMERAS)

    def _push(self, run_time, rolls, orbit):
        self.segments.append(Segment(float(run_time), rolls, orbit, self._caption, self._camera))
        self._camera = None

    # -------------------------------------------------------------- after construct()

    @property
    def run_time(self) -> float:
        return sum(s.run_time for s in self.segments)

    def steps(self, land: Landscape) -> int:
        """Total optimizer steps the balls of ``land`` take in the plan."""
        return sum(s.rolls.get(land.index, 0) for s in self.segments)


def config_title(cfg) -> str:
    """The title a landscape gets when none is given: the network, its initialization and
    what else sets it apart (batch norm, skips, the plane)."""
    return _describe(cfg)


def _describe(cfg) -> str:
    parts = [f"{cfg.model.upper()} {'-'.join(map(str, cfg.widths))} {cfg.activation}",
             f"{cfg.init} init" + (f" ×{cfg.init_scale:g}" if cfg.init_scale != 1 else "")]
    if cfg.batchnorm:
        parts.append("batch norm")
    if cfg.skip:
        parts.append("residual")
    return ", ".join(parts) + f" on {cfg.dataset}"
