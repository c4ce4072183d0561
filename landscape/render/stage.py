"""`Stage` (one window, 1–4 synchronized views, a caption) and `View` (one landscape).

A view is built once (`View.set_surface`, `View.set_balls`) and then updated per frame with
`View.update(frame)`: every moving thing is changed in place, nothing is re-added.
"""

from __future__ import annotations

import numpy as np
import pyvista as pv
import vtk

from landscape.errors import LandscapeError
from landscape.render import colors
from landscape.render.axes import Axes, world_label
from landscape.render.camera import CameraRig
from landscape.render.headless import check_rendering, default_off_screen
from landscape.render.hud import Hud
from landscape.render.meshes import (MAX_MESH_RES, BallLayer, SurfaceLayer, census_from_frame,
                                     make_scale, surface_arrays)
from landscape.render.panel import GradientPanel

LAYOUTS = {1: (1, 1), 2: (1, 2), 3: (1, 3), 4: (2, 2)}


class Stage:
    """A render window with ``n_views`` landscapes side by side (2×2 for four), one shared
    camera, and a caption line across the bottom.

    Args:
      n_views: 1 to 4.
      size: window (= video frame) size in pixels, (width, height).
      off_screen: None renders offscreen when there is no display.
      anti_aliasing: FXAA (cheap) when True; the 8× MSAA default costs ~3× here, never used.
    """

    def __init__(self, n_views: int = 1, size=(1280, 720), off_screen: bool | None = None,
                 anti_aliasing: bool = False):
        if n_views not in LAYOUTS:
            raise LandscapeError(f"a stage shows 1 to 4 views, not {n_views}")
        w, h = (int(x) for x in size)
        if w < 16 or h < 16:
            raise LandscapeError(f"stage size must be at least 16×16 pixels, got {w}×{h}")
        self.off_screen = default_off_screen() if off_screen is None else bool(off_screen)
        check_rendering(self.off_screen)
        self.size = (w, h)
        self.plotter = pl = pv.Plotter(shape=LAYOUTS[n_views], off_screen=self.off_screen,
                                       window_size=(w, h), border=False)
        pl.disable_anti_aliasing()
        if anti_aliasing:
            pl.enable_anti_aliasing("fxaa")
        pl.set_background(colors.BACKGROUND, top=colors.BACKGROUND_TOP)
        self.views = []
        for i in range(n_views):
            pl.subplot(*divmod(i, LAYOUTS[n_views][1]))
            self.views.append(View(self, i, pl.renderer))
        shared = pl.renderers[0].GetActiveCamera()
        for r in pl.renderers[1:n_views]:
            r.SetActiveCamera(shared)
        self.rig = CameraRig(shared)
        for r in pl.renderers:
            r.camera_set = True   # else pyvista resets to its own view on the first render
        # caption: a transparent renderer on a second layer spanning the whole window
        self._overlay = vtk.vtkRenderer()
        self._overlay.SetLayer(1)
        self._overlay.InteractiveOff()
        self._overlay.SetViewport(0, 0, 1, 1)
        pl.ren_win.SetNumberOfLayers(2)
        pl.ren_win.AddRenderer(self._overlay)
        self._caption = vtk.vtkTextActor()
        colors.style_text(self._caption.GetTextProperty(), max(12, h // 34), colors.TEXT,
                          justify="center", shadow=True)
        self._caption.GetTextProperty().SetBackgroundColor(0.04, 0.05, 0.07)
        self._caption.GetTextProperty().SetBackgroundOpacity(0.0)
        self._caption.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        self._caption.GetPositionCoordinate().SetValue(0.5, 0.035)
        self._overlay.AddViewProp(self._caption)
        self._framed = False

    # ---------------------------------------------------------------- views and camera

    @property
    def n_views(self) -> int:
        return len(self.views)

    def view(self, i: int) -> "View":
        if not 0 <= i < len(self.views):
            raise LandscapeError(f"view {i} does not exist; this stage has {len(self.views)}")
        return self.views[i]

    def _frame_all(self) -> None:
        b = None
        for v in self.views:
            if v.surface_layer is not None:
                vb = np.array(v.surface_layer.mesh.bounds, np.float64)
                vb[4] = v.surface_layer.floor_z
                b = vb if b is None else np.r_[np.minimum(b[0::2], vb[0::2]),
                                               np.maximum(b[1::2], vb[1::2])][[0, 3, 1, 4, 2, 5]]
        if b is not None:
            self.rig.frame_bounds(b)
            self._framed = True

    def camera(self, preset: str = "iso") -> None:
        """Jump to a preset: ``"iso"``, ``"top"`` or ``"side"`` (shared by all views)."""
        if not self._framed:
            self._frame_all()
        self.rig.preset(preset)

    def orbit(self, degrees: float) -> None:
        """Turn the camera about the vertical axis by ``degrees`` (one call per frame)."""
        if not self._framed:
            self._frame_all()
        self.rig.orbit(degrees)

    def follow(self, group: int, view: int = 0, weight: float = 0.15) -> None:
        """Ease the focal point toward the mean position of ``group``'s live balls in ``view``."""
        target = self.view(view).group_center(group)
        if target is not None:
            self.rig.follow(target, weight)

    def caption(self, text: str) -> None:
        """One line of text centred at the bottom of the window; ``""`` hides it."""
        self._caption.SetInput(text or "")
        self._caption.GetTextProperty().SetBackgroundOpacity(0.6 if text else 0.0)

    # ---------------------------------------------------------------- output

    def screenshot(self, path: str | None = None) -> np.ndarray:
        """Render once and return the image, uint8 ``[H, W, 3]`` (also saved when ``path``)."""
        if not self._framed:
            self.camera("iso")
        pl = self.plotter
        pl.render()   # a no-op before the first screenshot, which renders by itself
        img = pl.screenshot(path, return_img=True)
        return np.asarray(img)[..., :3]

    def world_to_display(self, view: int, xyz) -> np.ndarray:
        """Pixel (column, row from the top) of world points ``[k, 3]`` in ``view`` as last
        rendered."""
        ren = self.plotter.renderers[view]
        out = []
        for p in np.asarray(xyz, np.float64).reshape(-1, 3):
            ren.SetWorldPoint(*p, 1.0)
            ren.WorldToDisplay()
            x, y, _ = ren.GetDisplayPoint()
            out.append((x, self.size[1] - 1 - y))
        return np.asarray(out)

    def close(self) -> None:
        self.plotter.close()


class View:
    """One landscape in a `Stage`: surface, balls, trails, gradient panel, HUD and census."""

    def __init__(self, stage: Stage, index: int, renderer):
        self.stage, self.index, self.renderer = stage, index, renderer
        self.surface_layer = None
        self.balls = None
        self.panel = None
        self.hud = None
        self.groups, self.layers = [], []
        self.group_ids = np.zeros(0, int)
        self.selected = 0
        self.trails_on = True
        self.panel_on = True
        self.census = None          # None: computed from settled balls each frame
        self.last_frame = None
        self.speed_text = ""
        self._surface_args = None
        self._surface_actors = {}
        self._scalar_bar = None

    # ---------------------------------------------------------------- building

    def set_surface(self, surface, log_scale: bool | None = None, relief: float = 0.55,
                    n_contours: int = 14, max_res: int = MAX_MESH_RES) -> None:
        """Draw ``surface`` (a `Surface` or ``(alphas, betas, loss[, accuracy])``).

        ``log_scale=None`` uses log10(loss) when the finite losses span over three decades;
        ``relief`` is the height of the relief as a fraction of the (a, b) span. Non-finite
        losses are drawn at the top of the scale and marked magenta.
        """
        a, b, loss, acc = surface_arrays(surface)
        if loss.shape != (len(a), len(b)) or len(a) < 2 or len(b) < 2:
            raise LandscapeError(f"surface loss has shape {loss.shape}; expected "
                                 f"({len(a)}, {len(b)}) with at least 2×2 points")
        self._surface_args = (a, b, loss, acc, relief, n_contours, max_res)
        span = max(a[-1] - a[0], b[-1] - b[0])
        self.scale = make_scale(loss, span, log_scale, relief)
        self.span = float(span)
        self.radius = 0.011 * self.span
        self.surface_layer = sl = SurfaceLayer(a, b, loss, self.scale, n_contours, max_res)
        pl = self.stage.plotter
        pl.subplot(*divmod(self.index, pl.shape[1]))
        first = not self._surface_actors
        for key, actor in self._surface_actors.items():
            if key == "axes":
                actor.remove()
            else:
                self.renderer.RemoveViewProp(actor)
        clim = (self.scale.lo, self.scale.hi)
        act = {}
        act["surface"] = pl.add_mesh(sl.mesh, scalars="loss", cmap=colors.SURFACE_CMAP,
                                     clim=clim, log_scale=self.scale.log, smooth_shading=True,
                                     show_scalar_bar=False, specular=0.25, specular_power=20,
                                     ambient=0.15, diffuse=0.85, render=False, reset_camera=False)
        if sl.contours.n_points:
            act["contours"] = pl.add_mesh(sl.contours, color=colors.CONTOUR, opacity=0.45,
                                          line_width=1.2, pickable=False, render=False,
                                          lighting=False, reset_camera=False)
            act["floor"] = pl.add_mesh(sl.floor_contours, scalars="h", cmap=colors.SURFACE_CMAP,
                                       clim=(self.scale.h_lo, self.scale.h_hi), line_width=1.4,
                                       show_scalar_bar=False, pickable=False, render=False,
                                       lighting=False, reset_camera=False, opacity=0.9)
        if sl.nonfinite is not None:
            act["nonfinite"] = pl.add_mesh(sl.nonfinite, color=colors.NONFINITE, point_size=5,
                                           style="points", pickable=False, render=False,
                                           reset_camera=False)
        if sl.theta_star is not None:
            star = pv.PolyData(sl.theta_star[None] + [0, 0, 1.2 * self.radius])
            act["theta"] = pl.add_mesh(star, color=colors.THETA_STAR, style="points_gaussian",
                                       render_points_as_spheres=True, pickable=False,
                                       render=False, reset_camera=False)
            act["theta"].mapper.scale_factor = 0.9 * self.radius
            lab = world_label(self.renderer, "θ*", sl.theta_star + [0, 0, 2.5 * self.radius],
                              size=15, color=colors.THETA_STAR, bold=True, justify="left",
                              vjust="bottom")
            act["theta_label"] = lab
        act["axes"] = self._axes()
        self._surface_actors = act
        self._scalar_bar_for(act["surface"])
        if self.hud is not None:
            self._warn_nonfinite()
        if self.last_frame is not None and self.balls is not None:
            self.update(self.last_frame)
        if first:
            self.stage._framed = False

    def _axes(self) -> Axes:
        sl = self.surface_layer
        return Axes(self.renderer, sl.extent, self.scale, sl.floor_z)

    def _scalar_bar_for(self, actor) -> None:
        if self._scalar_bar is not None:
            self.renderer.RemoveViewProp(self._scalar_bar)
        bar = vtk.vtkScalarBarActor()
        bar.SetLookupTable(actor.mapper.lookup_table)
        bar.SetTitle("loss")
        bar.SetNumberOfLabels(5)
        bar.SetLabelFormat("%.2g")
        bar.UnconstrainedFontSizeOn()
        for p, size in ((bar.GetTitleTextProperty(), 13), (bar.GetLabelTextProperty(), 10)):
            colors.style_text(p, size, colors.TEXT, shadow=False)
        bar.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        bar.GetPositionCoordinate().SetValue(0.935, 0.52)
        bar.SetWidth(0.05)
        bar.SetHeight(0.38)
        bar.SetBarRatio(0.35)
        bar.SetTextPositionToPrecedeScalarBar()
        self.renderer.AddViewProp(bar)
        self._scalar_bar = bar

    def set_balls(self, groups, group_ids, layers, title: str = "", trail_length: int = 24,
                  panel: bool = True, strip: bool = True, band=(1e-3, 10.0)) -> None:
        """Declare the balls: ``groups`` (dicts with ``name``, ``optimizer``, ``lr``, optional
        ``color``; or plain names), ``group_ids`` int ``[N]``, ``layers`` (L names, input →
        output), a ``title``. ``band`` is the healthy range of per-layer gradient norms."""
        if self.surface_layer is None:
            raise LandscapeError("call set_surface before set_balls")
        self.groups = [g if isinstance(g, dict) else {"name": str(g)} for g in groups]
        if not self.groups:
            raise LandscapeError("set_balls needs at least one group")
        self.group_rgb = colors.group_colors(self.groups)
        self.layers = list(layers)
        self.trail_length = trail_length
        self._set_group_ids(group_ids)
        pl = self.stage.plotter
        if self.hud is None:
            self.hud = Hud(self.renderer, self.groups, self.group_rgb, title)
        else:
            self.hud.set_title(title)
        self._warn_nonfinite()
        if self.panel is None and self.layers:
            self.panel = GradientPanel(self.renderer, self.layers, band=band, strip=strip)
            self.panel.set_visible(panel)
            self.panel_on = panel
        pl.subplot(*divmod(self.index, pl.shape[1]))

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
        self.balls = BallLayer(n, self.group_rgb[self.group_ids], self.trail_length)
        if n == 0:
            for name in ("balls", "halo", "trails"):
                pl.remove_actor(f"v{self.index}-{name}", render=False)
            return
        kw = dict(pickable=False, render=False, reset_camera=False)
        self.trail_actor = pl.add_mesh(self.balls.trails, scalars="rgba", rgba=True,
                                       line_width=2.0, lighting=False,
                                       name=f"v{self.index}-trails", **kw)
        self.trail_actor.SetVisibility(self.trails_on)
        self.halo_actor = pl.add_mesh(self.balls.halo, scalars="rgba", rgba=True,
                                      style="points_gaussian", emissive=True,
                                      render_points_as_spheres=False,
                                      name=f"v{self.index}-halo", **kw)
        self.halo_actor.mapper.scale_factor = 1.9 * self.radius
        self.ball_actor = pl.add_mesh(self.balls.balls, scalars="rgb", rgb=True,
                                      style="points_gaussian", render_points_as_spheres=True,
                                      emissive=False, name=f"v{self.index}-balls", **kw)
        self.ball_actor.mapper.scale_factor = self.radius

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
        z = self.scale.z(heights) + 0.85 * self.radius
        return np.c_[x, y, z]

    def update(self, frame, group_ids=None) -> None:
        """Show ``frame`` (a `Frame`). When balls were added, pass the new ``group_ids``."""
        if self.balls is None:
            raise LandscapeError("call set_balls before update")
        n = len(frame.positions)
        if group_ids is not None and len(group_ids) != len(self.group_ids):
            self._set_group_ids(group_ids)
        elif n != self.balls.n:
            if group_ids is None:
                raise LandscapeError(f"frame has {n} balls but the view was set up with "
                                     f"{self.balls.n}; pass group_ids to update")
            self._set_group_ids(group_ids)
        self.last_frame = frame
        if n == 0:
            return
        esc = np.asarray(frame.escaped, bool)
        st = np.asarray(frame.settled, bool)
        xyz = self.world(frame.positions, frame.heights)
        self.balls.update(xyz, esc, st)
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
                        self.speed_text)
        if self.panel is not None and self.panel_on:
            g = np.asarray(frame.grad_norms)
            sel = gid == self.selected
            name = self.groups[self.selected].get("name", "")
            self.panel.update(g[sel], title=f"‖∇W‖ per layer · {name}")
        census = self.census
        if census is None:
            a, b, loss, acc, *_ = self._surface_args
            census = census_from_frame(a, b, loss, acc, np.asarray(frame.positions), st, esc,
                                       radius=0.05 * self.span)
            census = [c for c in census if c["n_balls"] >= max(2, 0.03 * n)][:4]
        self.hud.set_census(census, lambda ab: self.world(
            ab, self._surface_loss(ab)) + [0, 0, self.radius])

    def _surface_loss(self, ab) -> np.ndarray:
        from landscape.render.meshes import _bilinear

        a, b, loss = self._surface_args[:3]
        return _bilinear(a, b, loss, np.asarray(ab, np.float64))

    def group_center(self, group: int):
        f = self.last_frame
        if f is None:
            return None
        m = (self.group_ids == group) & ~np.asarray(f.escaped, bool)
        if not m.any():
            return None
        return self.world(f.positions[m], f.heights[m]).mean(0)

    # ---------------------------------------------------------------- toggles

    def set_census(self, census) -> None:
        """Label these minima (``Trajectory.census`` dicts); None returns to the automatic one."""
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
        self.panel_on = bool(on)
        if self.panel is not None:
            self.panel.set_visible(self.panel_on)
            if on and self.last_frame is not None:
                self.update(self.last_frame)

    def set_log_scale(self, on: bool) -> None:
        if self._surface_args is None:
            return
        a, b, loss, acc, relief, n_contours, max_res = self._surface_args
        if self.balls is not None:
            self.balls.reset_trails()
        self.set_surface((a, b, loss, acc), log_scale=bool(on), relief=relief,
                         n_contours=n_contours, max_res=max_res)
