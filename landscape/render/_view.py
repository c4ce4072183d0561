"""`View`: one landscape in a `Stage` — surface, balls, trails, gradient panel, HUD, census.

A view is built once (`View.set_surface`, `View.set_balls`) and then updated per frame with
`View.update(frame)`: every moving thing is changed in place, nothing is re-added.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pyvista as pv
import vtk

from landscape.errors import LandscapeError
from landscape.picture import (
    NONFINITE,
    SURFACE_CMAP,
    THETA_STAR,
    GradientLimits,
    group_rgb,
    plane_span,
    theta_norm,
)
from landscape.render import _colors as colors
from landscape.render._axes import Axes, world_label
from landscape.render._hud import Hud
from landscape.render._meshes import (
    MAX_MESH_RES,
    BallLayer,
    SurfaceLayer,
    make_scale,
    surface_arrays,
)
from landscape.render.panels._gradients import GradientPanel
from landscape.surface import plateau_height


class StageLike(Protocol):
    """What a view needs of the `Stage` it sits in (the stage, not the view, owns these):
    the plotter, its theme and look, the text scale and one view's size, and `reframe`, which
    asks the shared camera to frame every view again before the next picture."""

    plotter: object
    theme: object
    look: object
    font_scale: float
    view_size: tuple[float, float]
    view_aspect: float
    view_height: float

    def reframe(self) -> None: ...


class View:
    """One landscape in a `Stage`: surface, balls, trails, gradient panel, HUD and census."""

    def __init__(self, stage: StageLike, index: int, renderer):
        self.stage, self.index, self.renderer = stage, index, renderer
        self.theme = stage.theme    # the stage's colours (`landscape.picture.Theme`)
        self.surface_layer = None
        self.balls = None
        self.panel = None
        self.hud = None
        self.groups, self.layers = [], []
        self.group_ids = np.zeros(0, int)
        self.selected = 0
        self.trails_on = True
        self.panel_on = True
        self.alt_panel = None
        self.alt_panel_on = False
        self.center_label = "θ*"     # what the plane's centre is (a riding timelapse: θ_t)
        self.census = None          # labels when a frame carries no census of its own
        self.last_frame = None
        self.speed_text = ""
        self._surface_args = None
        self._surface_actors = {}
        self._scalar_bar = None
        self._loss_range = None

    # ---------------------------------------------------------------- building

    def set_surface(self, surface, log_scale: bool | None = None, relief: float = 0.55,
                    n_contours: int = 14, max_res: int = MAX_MESH_RES,
                    loss_range=None) -> None:
        """Draw ``surface`` (a `Surface` or ``(alphas, betas, loss[, accuracy])``).

        ``log_scale=None`` uses log10(loss) when the finite losses span over three decades;
        ``relief`` is the height of the relief as a fraction of the (a, b) span. Non-finite
        losses are drawn at the top of the scale and marked magenta. ``loss_range=(lo, hi)``
        fixes the height and colour scale (use one range for views compared side by side).
        """
        a, b, loss, acc = surface_arrays(surface)
        # the weights' size and the plane's width in weight space: the gradient bars' absolute
        # band (`landscape.picture.GradientLimits`); unknown for bare arrays
        self._weight_scale = (theta_norm(surface), plane_span(surface))
        if loss.shape != (len(a), len(b)) or len(a) < 2 or len(b) < 2:
            raise LandscapeError(f"surface loss has shape {loss.shape}; expected "
                                 f"({len(a)}, {len(b)}) with at least 2×2 points")
        self._surface_args = (a, b, loss, acc, relief, n_contours, max_res)
        self._loss_range = loss_range
        span = max(a[-1] - a[0], b[-1] - b[0])
        self.scale = make_scale(loss, span, log_scale, relief, loss_range)
        self.span = float(span)
        self.radius = 0.016 * self.span
        self.surface_layer = sl = SurfaceLayer(a, b, loss, self.scale, n_contours, max_res)
        pl = self.stage.plotter
        pl.subplot(*divmod(self.index, pl.shape[1]))
        first = not self._surface_actors
        self._remove_surface_actors()
        act = self._add_surface_meshes(sl, first)
        act.update(self._add_theta_star(sl))
        act["axes"] = self._axes()
        self._surface_actors = act
        self._surface_changed(first)

    def _remove_surface_actors(self) -> None:
        for key, actor in self._surface_actors.items():
            if key == "axes":
                actor.remove()
            else:
                self.renderer.RemoveViewProp(actor)
        self._surface_actors = {}

    def _add_surface_meshes(self, sl: SurfaceLayer, first: bool) -> dict:
        """The surface, its contours (on it and on the floor) and the non-finite points."""
        pl = self.stage.plotter
        clim = (self.scale.lo, self.scale.hi)
        act = {}
        look = self.stage.look
        act["surface"] = pl.add_mesh(sl.mesh, scalars="loss", cmap=SURFACE_CMAP,
                                     clim=clim, log_scale=self.scale.log, smooth_shading=True,
                                     show_scalar_bar=False, specular=look.surface_specular,
                                     specular_power=look.surface_specular_power,
                                     ambient=0.15, diffuse=0.85, render=False, reset_camera=False)
        if look.ssao and first:
            # ambient occlusion darkens the valleys' floors and the balls' contact points
            pl.enable_ssao(radius=0.06 * self.span, bias=0.004 * self.span, kernel_size=32)
        if sl.contours.n_points:
            # opaque on purpose (see BallLayer): colours are pre-blended instead of alpha
            act["contours"] = pl.add_mesh(sl.contours, scalars="rgb", rgb=True, line_width=1.0,
                                          pickable=False, render=False, lighting=False,
                                          reset_camera=False)
            act["floor"] = pl.add_mesh(sl.floor_contours, scalars="rgb", rgb=True,
                                       line_width=1.4, pickable=False, render=False,
                                       lighting=False, reset_camera=False)
        if sl.nonfinite is not None:
            act["nonfinite"] = pl.add_mesh(sl.nonfinite, color=NONFINITE, point_size=5,
                                           style="points", pickable=False, render=False,
                                           reset_camera=False)
        return act

    def _add_theta_star(self, sl: SurfaceLayer) -> dict:
        """θ* (the plane's centre) as a white sprite with its label, or a pin up through the
        surface when it lies hidden in a pit."""
        if sl.theta_star is None:
            return {}
        pl = self.stage.plotter
        act = {}
        star = pv.PolyData(sl.theta_star[None] + [0, 0, 1.2 * self.radius])
        act["theta"] = pl.add_mesh(star, color=THETA_STAR, style="points_gaussian",
                                   render_points_as_spheres=True, pickable=False,
                                   render=False, reset_camera=False)
        act["theta"].mapper.scale_factor = 0.9 * self.radius
        if sl.theta_pin is None:
            lab = world_label(self.renderer, self.center_label,
                              sl.theta_star + [0, 0, self.radius],
                              size=15, color=THETA_STAR, bold=True, justify="right",
                              vjust="top", fs=self.stage.font_scale, offset=(-6, -4),
                              theme=self.theme)
        else:
            # θ* hidden in a pit narrower than the mesh (or behind a spike): a pin from
            # θ* up through the surface, labelled with its loss at the top
            top = np.array([0.0, 0.0, sl.theta_pin])
            act["theta_pin"] = pl.add_mesh(pv.Line(sl.theta_star, top),
                                           color=THETA_STAR, line_width=2.0,
                                           lighting=False, pickable=False, render=False,
                                           reset_camera=False)
            lab = world_label(self.renderer, f"{self.center_label}  loss {sl.theta_loss:.3g}",
                              top, size=14,
                              color=THETA_STAR, bold=True, justify="center",
                              vjust="bottom", fs=self.stage.font_scale, offset=(0, 4),
                              background=0.75, theme=self.theme)
        act["theta_label"] = lab
        return act

    def _surface_changed(self, first: bool) -> None:
        """Bring what depends on the surface along: colour bar, HUD, ball sizes, the last
        frame; a first surface asks the stage to frame the camera again."""
        self._scalar_bar_for(self._surface_actors["surface"])
        if self.hud is not None:
            self._warn_nonfinite()
            self.hud.replace_census_labels()          # heights moved: re-place the labels
        if self.balls is not None and self.balls.n:
            self.ball_actor.mapper.scale_factor = self.radius
            self.ring_actor.mapper.scale_factor = 1.45 * self.radius
        if self.last_frame is not None and self.balls is not None:
            self.update(self.last_frame)
        if first:
            self.stage.reframe()

    def show_loss_axis(self, on: bool) -> None:
        """Show or hide the loss axis' labels (the stage hides them looking straight down)."""
        axes = self._surface_actors.get("axes")
        if axes is not None:
            axes.show_loss_axis(on)

    def _axes(self) -> Axes:
        sl = self.surface_layer
        return Axes(self.renderer, sl.extent, self.scale, sl.floor_z, fs=self.stage.font_scale,
                    theme=self.theme)

    def _scalar_bar_for(self, actor) -> None:
        if self._scalar_bar is not None:
            self.renderer.RemoveViewProp(self._scalar_bar)
        bar = vtk.vtkScalarBarActor()
        bar.SetLookupTable(actor.mapper.lookup_table)
        bar.SetTitle("loss")
        bar.SetNumberOfLabels(5)
        bar.SetLabelFormat("%.2g")
        bar.UnconstrainedFontSizeOn()
        fs = self.stage.font_scale
        for p, size in ((bar.GetTitleTextProperty(), 13), (bar.GetLabelTextProperty(), 11)):
            colors.style_text(p, size * fs, self.theme.text, shadow=False)
        bar.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        wide = self.stage.view_aspect > 1.3
        bar.GetPositionCoordinate().SetValue(0.935 if wide else 0.90, 0.57 if wide else 0.50)
        bar.SetWidth(0.05)
        bar.SetHeight(0.33)
        bar.SetVerticalTitleSeparation(int(8 * fs))
        bar.SetBarRatio(0.35)
        bar.SetTextPositionToPrecedeScalarBar()
        self.renderer.AddViewProp(bar)
        self._scalar_bar = bar
        self._place_scalar_bar()

    def _place_scalar_bar(self) -> None:
        """The colour bar at the top right, below the legend when the view is narrow."""
        bar = self._scalar_bar
        if bar is None:
            return
        wide = self.stage.view_aspect > 1.3
        top = 0.90 if wide else 0.83
        if self.hud is not None and not wide:
            top = min(top, self.hud.bottom - 0.02)
        bar.GetPositionCoordinate().SetValue(0.935 if wide else 0.90, top - 0.33)

    def set_balls(self, groups, group_ids, layers, title: str = "",
                  trail_length: int | None = None,
                  panel: bool = True, strip: bool = True, band=(1e-3, 10.0)) -> None:
        """Declare the balls: ``groups`` (dicts with ``name``, ``optimizer``, ``lr``, optional
        ``color``; or plain names), ``group_ids`` int ``[N]``, ``layers`` (L names, input →
        output), a ``title``. ``band`` is the healthy range of per-layer gradient norms.
        ``trail_length`` is in frames; None keeps about 40,000 trail points in all (20 frames
        up to 2,000 balls, fewer beyond, at least 8): trails are the costliest layer here."""
        if self.surface_layer is None:
            raise LandscapeError("call set_surface before set_balls")
        self.groups = [g if isinstance(g, dict) else {"name": str(g)} for g in groups]
        if not self.groups:
            raise LandscapeError("set_balls needs at least one group")
        self.group_rgb = group_rgb(self.groups)
        self.layers = list(layers)
        self.trail_length = trail_length
        self._set_group_ids(group_ids)
        pl = self.stage.plotter
        if self.hud is None:
            self.hud = Hud(self.renderer, self.groups, self.group_rgb, title,
                           fs=self.stage.font_scale, view_height=self.stage.view_size[1],
                           view_width=self.stage.view_size[0], theme=self.theme)
        else:
            self.hud.set_title(title)
        self._warn_nonfinite()
        if self.panel is None and self.layers:
            # clear of the caption line at the bottom of the window
            rect = ((0.66, 0.10, 0.985, 0.50) if self.stage.view_aspect > 1.3
                    else (0.45, 0.09, 0.985, 0.38))
            # the learning-speed chart needs room: not in views under 400 px tall
            self.panel_rect = rect
            self.panel = GradientPanel(self.renderer, self.layers, rect=rect, band=band,
                                       strip=strip and self.stage.view_size[1] >= 400,
                                       fs=self.stage.font_scale,
                                       view_width=self.stage.view_size[0],
                                       view_height=self.stage.view_size[1],
                                       theme=self.theme)
            self.panel.set_visible(panel)
            self.panel_on = panel
        self._place_scalar_bar()
        pl.subplot(*divmod(self.index, pl.shape[1]))

    def clear_balls(self) -> None:
        """Take the balls' HUD and panels off the view, so the next `set_balls` builds them
        for new groups and layers (the playground's window after a change of network)."""
        if self.hud is not None:
            self.hud.remove()
            self.hud = None
        for p in (self.panel, self.alt_panel):
            if p is not None and hasattr(p, "remove"):
                p.remove()
            elif p is not None:
                p.set_visible(False)
        self.panel = self.alt_panel = None
        self.alt_panel_on = False
        self.last_frame = None

    def gradient_limits(self, group: int) -> GradientLimits:
        """The absolute band of the gradient bars of group ``group``: its learning rate, the
        weights' norm and the plane's width (`landscape.picture.GradientLimits.for_sgd`)."""
        th, span = getattr(self, "_weight_scale", (None, None))
        return GradientLimits.for_sgd(self.groups[group].get("lr"), th, span)

    def _set_group_ids(self, group_ids) -> None:
        gid = np.asarray(group_ids, int).reshape(-1)
        if gid.size and (gid.min() < 0 or gid.max() >= len(self.groups)):
            raise LandscapeError(f"group ids must be in 0..{len(self.groups) - 1}")
        self.group_ids = gid
        self._build_ball_layer()

    def _build_ball_layer(self) -> None:
        pl = self.stage.plotter
        pl.subplot(*divmod(self.index, pl.shape[1]))
        n = len(self.group_ids)
        k = self.trail_length
        if k is None:
            k = int(np.clip(40_000 // max(n, 1), 8, 20))
        self.balls = BallLayer(n, self.group_rgb[self.group_ids], k, theme=self.theme)
        if n == 0:
            for name in ("balls", "rings", "trails"):
                pl.remove_actor(f"v{self.index}-{name}", render=False)
            return
        kw = dict(pickable=False, render=False, reset_camera=False)
        look = self.stage.look
        self.balls.lift = look.trail_lift * self.radius
        self.trail_actor = pl.add_mesh(self.balls.trails, scalars="rgb", rgb=True,
                                       line_width=look.trail_width, lighting=False,
                                       name=f"v{self.index}-trails", **kw)
        self.trail_actor.SetVisibility(self.trails_on)
        self.ring_actor = pl.add_mesh(self.balls.rings, color="white",
                                      style="points_gaussian", emissive=False,
                                      render_points_as_spheres=True,
                                      name=f"v{self.index}-rings", **kw)
        self.ring_actor.mapper.SetScaleArray("scale")
        self.ring_actor.mapper.scale_factor = 1.45 * self.radius
        self.ball_actor = pl.add_mesh(self.balls.balls, scalars="rgb", rgb=True,
                                      style="points_gaussian", render_points_as_spheres=True,
                                      emissive=False, name=f"v{self.index}-balls", **kw)
        self.ball_actor.mapper.scale_factor = self.radius
        if look.ball_specular:
            prop = self.ball_actor.GetProperty()
            prop.SetSpecular(look.ball_specular)
            prop.SetSpecularPower(50.0)

    def _warn_nonfinite(self) -> None:
        n = self.surface_layer.n_nonfinite
        self.hud.set_warning(f"{n} grid points have a non-finite loss (magenta, drawn at the top)"
                             if n else "")

    # ---------------------------------------------------------------- per frame

    def world(self, positions, heights) -> np.ndarray:
        """World xyz ``[N, 3]`` of balls at ``positions`` [N, 2] with surface ``heights`` [N]."""
        x0, x1, y0, y1 = self.surface_layer.extent
        m = 0.25 * self.span
        p = np.asarray(positions, np.float64)
        x = np.clip(p[:, 0], x0 - m, x1 + m)
        y = np.clip(p[:, 1], y0 - m, y1 + m)
        z = self.scale.z(heights) + 1.0 * self.radius
        return np.c_[x, y, z]

    def update(self, frame, group_ids=None) -> None:
        """Show ``frame`` (a `Frame`). When balls were added, pass the new ``group_ids``."""
        if self.balls is None:
            raise LandscapeError("call set_balls before update")
        n = len(frame.positions)
        if group_ids is not None and not np.array_equal(np.asarray(group_ids).reshape(-1),
                                                        self.group_ids):
            self._set_group_ids(group_ids)
        if n != self.balls.n:
            raise LandscapeError(f"frame has {n} balls but the view has {self.balls.n}; pass "
                                 f"the new group_ids to update")
        self.last_frame = frame
        if n == 0:
            return
        esc = np.asarray(frame.escaped, bool)
        st = np.asarray(frame.settled, bool)
        xyz = self.world(frame.positions, frame.heights)
        self.balls.update(xyz, esc, st, ring_drop=0.5 * self.radius)
        self.ring_actor.SetVisibility(bool((st & ~esc).any()))   # skip the pass when unused
        gid = self.group_ids
        G = len(self.groups)
        h = np.asarray(frame.heights, np.float64)
        live = ~esc
        counts = np.bincount(gid, minlength=G)
        n_live = np.bincount(gid, weights=live, minlength=G)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.bincount(gid, weights=np.where(live, h, 0.0), minlength=G) / n_live
        mean = np.where(n_live > 0, mean, np.inf)
        self.hud.update(frame.step, mean, counts, np.bincount(gid, weights=st & live,
                                                              minlength=G).astype(int),
                        np.bincount(gid, weights=esc, minlength=G).astype(int), self.selected,
                        self.speed_text, notes=self._group_notes(frame, live))
        if self.panel is not None and self.panel_on:
            g = np.asarray(frame.grad_norms)
            sel = gid == self.selected
            name = self.groups[self.selected].get("name", "")
            self.panel.update(g[sel], title=f"‖∇W‖ per layer · {name}",
                              limits=self.gradient_limits(self.selected))
        # the census is the core's (landscape.balls._census), never recomputed here; the view only
        # chooses how many labels fit
        census = getattr(frame, "census", None)
        if census is None:
            census = self.census
        self.hud.set_census(census or [], lambda ab: self.world(
            ab, self._surface_loss(ab)) + [0, 0, self.radius], max_labels=self.max_labels)

    @property
    def max_labels(self) -> int:
        """Census labels that fit in this view (the rest are counted as "+k more")."""
        return 4 if self.stage.view_height >= 600 else 2

    def _group_notes(self, frame, live) -> list:
        """Per group, what the height does not say: in projected mode the balls' own mean
        full-data loss and distance from the plane; balls on the non-finite plateau."""
        gid, G = self.group_ids, len(self.groups)
        notes = [[] for _ in range(G)]
        true_loss, off = getattr(frame, "true_loss", None), getattr(frame, "off_plane", None)
        over = getattr(frame, "over_nonfinite", None)
        for k in range(G):
            m = (gid == k) & live
            if true_loss is not None and m.any():
                tl = np.asarray(true_loss, np.float64)[m]
                tl = tl[np.isfinite(tl)]
                if tl.size:
                    notes[k].append(f"true loss {tl.mean():.3g}")
                notes[k].append(f"off-plane {np.asarray(off, np.float64)[m].mean():.2g}")
            if over is not None and np.asarray(over)[gid == k].any():
                notes[k].append(f"{int(np.asarray(over)[gid == k].sum())} on the ∞ plateau")
        return notes

    def _surface_loss(self, ab) -> np.ndarray:
        a, b, loss = self._surface_args[:3]
        return plateau_height(a, b, loss, np.asarray(ab, np.float64))[0]

    def group_center(self, group: int):
        f = self.last_frame
        if f is None:
            return None
        m = (self.group_ids == group) & ~np.asarray(f.escaped, bool)
        if not m.any():
            return None
        return self.world(f.positions[m], f.heights[m]).mean(0)

    def solid_balls(self) -> None:
        """Draw the balls as sphere meshes instead of point sprites, for viewers that have no
        sprites (vtk.js, behind PyVista's Jupyter backends). A still, not for per-frame use."""
        if self.balls is None or not self.balls.n:
            return
        sphere = pv.Sphere(radius=self.radius, theta_resolution=12, phi_resolution=12)
        mesh = self.balls.balls.copy().glyph(geom=sphere, scale=False, orient=False)
        pl = self.stage.plotter
        pl.subplot(*divmod(self.index, pl.shape[1]))
        pl.add_mesh(mesh, scalars="rgb", rgb=True, smooth_shading=True, pickable=False,
                    name=f"v{self.index}-solid-balls", render=False, reset_camera=False)
        self.ball_actor.SetVisibility(False)
        self.ring_actor.SetVisibility(False)

    # ---------------------------------------------------------------- picking

    def only_surface_pickable(self) -> None:
        """Clicks pick the surface only (balls, trails, labels and the panel are not)."""
        surf = self._surface_actors.get("surface")
        props = self.renderer.GetViewProps()
        for k in range(props.GetNumberOfItems()):
            p = props.GetItemAsObject(k)
            p.SetPickable(p is surf)

    def pick(self, x: int, y: int):
        """Plane point ``(a, b)`` of the surface under display pixel (x, y) (VTK's display
        coordinates: origin bottom left), or None when the surface is not there."""
        if self.surface_layer is None:
            return None
        w, h = self.stage.plotter.ren_win.GetSize()
        x0, y0, x1, y1 = self.renderer.GetViewport()
        if not (x0 * w <= x <= x1 * w and y0 * h <= y <= y1 * h):
            return None
        self.only_surface_pickable()
        picker = vtk.vtkCellPicker()
        picker.SetTolerance(0.0005)
        if not picker.Pick(x, y, 0, self.renderer) or picker.GetActor() is None:
            return None
        a, b, _ = picker.GetPickPosition()
        ea0, ea1, eb0, eb1 = self.surface_layer.extent
        if not (ea0 <= a <= ea1 and eb0 <= b <= eb1):
            return None
        return np.array([a, b])

    # ---------------------------------------------------------------- toggles

    def set_census(self, census) -> None:
        """Label these minima (``Trajectory.census`` dicts) whenever a frame carries no census
        of its own; ``None`` labels nothing then."""
        self.census = census

    def select_group(self, group: int) -> None:
        if not 0 <= group < max(1, len(self.groups)):
            raise LandscapeError(f"group {group} does not exist; this view has "
                                 f"{len(self.groups)}")
        self.selected = group
        if self.last_frame is not None:
            self.update(self.last_frame)

    def show_trails(self, on: bool) -> None:
        self.trails_on = bool(on)
        if self.balls is not None and self.balls.n:
            self.trail_actor.SetVisibility(self.trails_on)
            self.balls.reset_trails()

    def show_panel(self, on: bool) -> None:
        """Show or hide the view's panel: the gradient panel, or the activation panel once
        `show_activations` replaced it."""
        if self.alt_panel is not None:
            self.alt_panel.set_visible(bool(on))
            self.alt_panel_on = bool(on)
            return
        self.panel_on = bool(on)
        if self.panel is not None:
            self.panel.set_visible(self.panel_on)
            if on and self.last_frame is not None:
                self.update(self.last_frame)

    @property
    def panel_shown(self) -> bool:
        """Whether the view's panel (whichever it is) is on screen."""
        if self.alt_panel is not None:
            return self.alt_panel_on
        return self.panel_on

    def panel_pixels(self, image: np.ndarray) -> np.ndarray | None:
        """The rectangle of a stage screenshot ``image`` (uint8 ``[H, W, 3]``, as
        `Stage.screenshot` returns) that this view's panel covers, with a small margin; None
        when no panel is shown. For faces that cannot draw the panel themselves (vtk.js in a
        notebook draws no 2D actors): they show this crop beside their 3D view."""
        if not self.panel_shown or (self.panel is None and self.alt_panel is None):
            return None
        panel = self.alt_panel if self.alt_panel is not None else self.panel
        x0, y0, x1, y1 = getattr(panel, "rect", None) or self.panel_rect
        vx0, vy0, vx1, vy1 = self.renderer.GetViewport()
        h, w = image.shape[:2]
        pad = 0.01
        cols = (vx0 + (vx1 - vx0) * np.clip([x0 - pad, x1 + pad], 0, 1)) * w
        rows = (1 - (vy0 + (vy1 - vy0) * np.clip([y1 + pad, y0 - pad], 0, 1))) * h
        c0, c1 = int(np.floor(cols[0])), int(np.ceil(cols[1]))
        r0, r1 = int(np.floor(rows[0])), int(np.ceil(rows[1]))
        return np.ascontiguousarray(image[max(r0, 0):min(r1, h), max(c0, 0):min(c1, w)])

    def show_activations(self, stats) -> None:
        """Replace the gradient panel with the activation panel for ``stats``
        (`landscape.measures._saturation.ActivationStats`, at θ*)."""
        from landscape.render.panels._activations import ActivationPanel

        self._replace_panel(lambda rect: ActivationPanel(self.renderer, stats, rect=rect,
                                                         fs=self.stage.font_scale,
                                                         theme=self.theme))

    def show_chain(self, chain_view) -> None:
        """Replace the gradient panel with the chain-rule table (`landscape.measures._chain`)."""
        from landscape.render.panels._chain import ChainPanel

        # a table of 9 lines of 14 px text: as wide as it needs, as tall as its lines
        def make(rect):
            h = 9 * 17 * self.stage.font_scale / self.stage.view_size[1] + 0.03
            w = 620 * self.stage.font_scale / self.stage.view_size[0]
            x1, y0 = rect[2], rect[1]
            return ChainPanel(self.renderer, chain_view, rect=(max(0.0, x1 - w), y0, x1,
                                                               min(1.0, y0 + h)),
                              fs=self.stage.font_scale, theme=self.theme)

        self._replace_panel(make)

    def show_features(self, w0, scale: float) -> None:
        """Replace the gradient panel with the first-layer features (`landscape.render.
        features_panel`): ``w0`` the initial weights as images, ``scale`` full colour."""
        from landscape.render.panels._features import FeaturesPanel

        self._replace_panel(lambda rect: FeaturesPanel(
            self.renderer, w0, scale, rect=rect, fs=self.stage.font_scale,
            view_size=self.stage.view_size, theme=self.theme))

    def _replace_panel(self, make) -> None:
        if self.panel is not None:
            self.panel.set_visible(False)
        self.panel_on = False
        if self.alt_panel is not None:
            self.alt_panel.set_visible(False)
        self.alt_panel = make(getattr(self, "panel_rect", (0.66, 0.10, 0.985, 0.50)))
        self.alt_panel_on = True

    def morph(self, loss) -> None:
        """Redraw the surface with a new loss grid on the same grid and the same height and
        colour scale (a surface that changes as training goes; `landscape.pipeline._timelapse`)."""
        a, b, _, acc, relief, n_contours, max_res = self._surface_args
        self.set_surface((a, b, np.asarray(loss), acc), log_scale=self.scale.log, relief=relief,
                         n_contours=n_contours, max_res=max_res,
                         loss_range=(self.scale.lo, self.scale.hi))

    def set_log_scale(self, on: bool) -> None:
        if self._surface_args is None:
            return
        a, b, loss, acc, relief, n_contours, max_res = self._surface_args
        if self.balls is not None:
            self.balls.reset_trails()
        self.set_surface((a, b, loss, acc), log_scale=bool(on), relief=relief,
                         n_contours=n_contours, max_res=max_res, loss_range=self._loss_range)
