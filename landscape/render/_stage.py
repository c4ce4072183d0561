"""`Stage`: one render window with 1–4 synchronized views (`landscape.render._view.View`),
one shared camera rig, a caption line, screenshots and world → pixel lookups."""

from __future__ import annotations

import numpy as np
import pyvista as pv
import vtk

from landscape.errors import LandscapeError
from landscape.picture import Theme, get_theme
from landscape.render import _colors as colors
from landscape.render._camera import CameraRig
from landscape.render._headless import allow_window, check_rendering
from landscape.render._look import get_look
from landscape.render._view import View

LAYOUTS = {1: (1, 1), 2: (1, 2), 3: (1, 3), 4: (2, 2)}


class Stage:
    """A render window with ``n_views`` landscapes side by side (2×2 for four), one shared
    camera, and a caption line across the bottom.

    Args:
      n_views: 1 to 4.
      size: window (= video frame) size in pixels, (width, height).
      off_screen: render offscreen (the default, for videos and stills); False opens a window
        on the display (`landscape.render.open_window`).
      anti_aliasing: FXAA (cheap) when True; the 8× MSAA default costs ~3× here, never used.
      theme: ``dark`` (default), ``light`` or a `landscape.picture.Theme`; the stage keeps it
        (``stage.theme``) and hands it to everything it draws, so stages never share colours.
      look: ``plain`` (default) or ``cinematic`` (`landscape.render._look`).
      side: the fraction of the window's width kept free at the right for a control panel
        (`landscape play`); the views share the rest.
    """

    def __init__(self, n_views: int = 1, size=(1280, 720), off_screen: bool | None = None,
                 anti_aliasing: bool = False, theme: str | Theme = "dark", look: str = "plain",
                 side: float = 0.0):
        if n_views not in LAYOUTS:
            raise LandscapeError(f"a stage shows 1 to 4 views, not {n_views}")
        self.look = get_look(look)
        self.theme = get_theme(theme)     # before anything reads a colour
        w, h = (int(x) for x in size)
        if w < 16 or h < 16:
            raise LandscapeError(f"stage size must be at least 16×16 pixels, got {w}×{h}")
        self.off_screen = True if off_screen is None else bool(off_screen)
        check_rendering(self.off_screen)
        if not self.off_screen:
            allow_window()
        self.size = (w, h)
        self.plotter = pl = pv.Plotter(shape=LAYOUTS[n_views], off_screen=self.off_screen,
                                       window_size=(w, h), border=False)
        pl.disable_anti_aliasing()
        aa = self.look.anti_aliasing or ("fxaa" if anti_aliasing else None)
        if aa:
            pl.enable_anti_aliasing(aa, multi_samples=4 if aa == "ssaa" else None)
        # a flat background: the gradient one costs ~6 ms a frame at 720p on llvmpipe
        pl.set_background(self.theme.background)
        self.layout = LAYOUTS[n_views]
        if not 0.0 <= side < 0.8:
            raise LandscapeError(f"side must be in [0, 0.8), got {side}")
        self.side = float(side)
        self._text_sizes = {}
        self._set_size((w, h))
        self.views = []
        for i in range(n_views):
            pl.subplot(*divmod(i, LAYOUTS[n_views][1]))
            self.views.append(View(self, i, pl.renderer))
        if self.side:
            for r in pl.renderers:
                x0, y0, x1, y1 = r.GetViewport()
                r.SetViewport(x0 * (1 - self.side), y0, x1 * (1 - self.side), y1)
        shared = pl.renderers[0].GetActiveCamera()
        for r in pl.renderers[1:n_views]:
            r.SetActiveCamera(shared)
        self.rig = CameraRig(shared)
        # wide single views: draw the landscape left of centre, clear of the panel
        # narrow ones: above the panel (higher still when the view is nearly square, where
        # the landscape fills more of the height)
        self.rig.window_center = ((0.16, 0.0) if self.view_aspect > 1.3 else
                                  (0.0, -0.34) if self.view_aspect > 0.75 else (0.0, -0.22))
        self.rig.aspect = self.view_aspect
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
        colors.style_text(self._caption.GetTextProperty(), self.px(20), self.theme.text,
                          justify="center", shadow=True)
        self._caption.GetTextProperty().SetBackgroundColor(*self.theme.label_bg)
        self._caption.GetTextProperty().SetBackgroundOpacity(0.0)
        self._caption.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        self._caption.GetPositionCoordinate().SetValue((1 - self.side) / 2, 0.035)
        self._overlay.AddViewProp(self._caption)
        self._framed = False

    # ---------------------------------------------------------------- text size

    def _set_size(self, size) -> None:
        w, h = size
        rows, cols = self.layout
        vw, vh = w * (1 - self.side) / cols, h / rows
        self.size = (int(w), int(h))
        self.font_scale = font_scale(self.size, self.layout)
        self.view_aspect, self.view_height = vw / vh, vh
        self.view_size = (vw, vh)

    def px(self, size: float) -> float:
        """Font size in pixels for a design ``size`` (the size in a 1280×720 window)."""
        return size * self.font_scale

    def add_overlay(self, actor, size: float | None = None) -> None:
        """Add a 2D actor drawn over every view (help, notices)."""
        self._overlay.AddViewProp(actor)

    def remove_overlay(self, actor) -> None:
        """Take a 2D actor added with `add_overlay` off the window."""
        self._overlay.RemoveViewProp(actor)

    def watch_size(self) -> bool:
        """After the window was resized: every text follows the new size (fonts are in pixels
        and would otherwise stay as small as they were). True when the size changed."""
        cur = tuple(int(x) for x in self.plotter.ren_win.GetSize())
        if cur == self.size or min(cur) < 16:
            return False
        old = self.font_scale
        self._set_size(cur)
        if abs(self.font_scale - old) > 1e-6:
            self._rescale_text(old, self.font_scale)
        return True

    def text_properties(self):
        """Every ``vtkTextProperty`` drawn now, in every view and the overlay."""
        rens = list(self.plotter.renderers) + [self._overlay]
        for r in rens:
            props = r.GetViewProps()
            for k in range(props.GetNumberOfItems()):
                p = props.GetItemAsObject(k)
                if isinstance(p, vtk.vtkTextActor):
                    yield p.GetTextProperty()
                elif isinstance(p, vtk.vtkScalarBarActor):
                    yield p.GetTitleTextProperty()
                    yield p.GetLabelTextProperty()

    def _rescale_text(self, old: float, new: float) -> None:
        seen = {}
        for prop in self.text_properties():
            key = prop.GetAddressAsString("vtkTextProperty")
            design = self._text_sizes.get(key, (None, prop.GetFontSize() / old))[1]
            seen[key] = (prop, design)
            prop.SetFontSize(max(1, int(round(design * new))))
        self._text_sizes = seen

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

    def reframe(self) -> None:
        """Frame the camera on every view's surface again before the next picture (a view
        calls this when it draws its first surface)."""
        self._framed = False

    def camera(self, preset: str = "iso") -> None:
        """Jump to a preset: ``"iso"``, ``"top"`` or ``"side"`` (shared by all views)."""
        if not self._framed:
            self._frame_all()
        self.rig.preset(preset)
        for v in self.views:
            if v.surface_layer is not None:
                v.show_loss_axis(preset != "top")

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


def font_scale(size, layout) -> float:
    """Text scale for a window of ``size`` split into ``layout`` (rows, cols) views: 1 in a
    1280×720 window whatever the layout (so a 3-view layout is as readable as one view, every
    label at least 11 px), and growing with the view (or the window, whichever is larger).
    Never under 0.62: thumbnails (tests, the tiny quality) keep text of a few pixels."""
    w, h = size
    rows, cols = layout
    vw, vh = w / cols, h / rows
    return float(max(min(vh / 720, vw / 420), min(h / 720, w / 1280), 0.62))
