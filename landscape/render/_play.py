"""`landscape play`'s window: the interactive window (`landscape.render._window`) with a panel
of knobs beside the views, a key for each knob, and changes computed on the window's worker.

The panel (`KnobPanel`) is drawn on the stage's overlay in the strip the stage keeps free at
its right (``Stage(side=...)``): one row per knob — its key, its name, its value; a slider's
track under the row; a value the next step cannot take greyed, with the reason under it. A
click on a row steps a choice or a toggle (shift-click: back); a click or a drag on a track
sets a slider (applied on release).

The knobs and what a change does come from a *live session* (`landscape.playground.Live`):
``knobs(view)``, ``row(view, knob, value)``, ``step``, ``at``, ``why``, ``apply(view,
changes)`` (blocking: on the worker), ``sources()``, ``restage(stage)``. A change is one job
on the worker; changes made while one computes wait in one slot, knob by knob the latest
value, and go as one job when it ends: intermediate states are skipped, nothing queues. The
old picture stays up, balls and all, with the busy notice counting seconds.
"""

from __future__ import annotations

import numpy as np
import vtk

from landscape.render import _colors as colors
from landscape.render._window import HELP_ROWS, Controller

PANEL_PX = 300          # the panel's width at 1280 × 720 (the stage's ``side``)
ROW_PX = 35             # one knob's row: the text line, the track or the reason
TEXT_PX = 13            # the rows' text; the reason and the status line: 11 and 12
TOP_PX = 40             # the panel's header


def side_for(width: int) -> float:
    """The stage's ``side`` for a window ``width`` pixels wide."""
    return min(0.45, PANEL_PX / float(width))


class KnobPanel:
    """The knob rows of one view, drawn in the window's right strip."""

    def __init__(self, stage, live, on_toggle_view=None):
        self.stage, self.live = stage, live
        self.view = 0
        self.theme = stage.theme
        self.rows = []            # one dict per knob: actors, its row data, its y (pixels)
        self.pending = {}         # knob → value waiting (shown with a mark)
        self.computing = None     # knob → value being computed (shown with a mark too)
        self.failed = {}          # knob → reason of the last change that could not apply
        self.x0 = 1.0 - stage.side
        fs = stage.font_scale
        self.fs = fs
        self._poly = vtk.vtkPolyData()
        mapper = vtk.vtkPolyDataMapper2D()
        mapper.SetInputData(self._poly)
        coord = vtk.vtkCoordinate()
        coord.SetCoordinateSystemToNormalizedViewport()
        mapper.SetTransformCoordinate(coord)
        mapper.SetColorModeToDirectScalars()
        mapper.SetScalarModeToUseCellData()
        self._geometry = vtk.vtkActor2D()
        self._geometry.SetMapper(mapper)
        stage.add_overlay(self._geometry)
        self.header = self._text("", 14, bold=True)
        self.hint = self._text("", 11, color=self.theme.text_dim)
        self.status = self._text("", 12, color=self.theme.text_dim, vjust="top")
        self.build()

    # ---------------------------------------------------------------- layout

    def _text(self, s, size, bold=False, color=None, justify="left", vjust="bottom",
              mono=False):
        t = vtk.vtkTextActor()
        t.SetInput(s)
        colors.style_text(t.GetTextProperty(), self.stage.px(size),
                          self.theme.text if color is None else color, bold=bold,
                          justify=justify, vjustify=vjust, mono=mono)
        t.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        self.stage.add_overlay(t, size)
        return t

    def _xy(self, x_px: float, y_px_from_top: float) -> tuple[float, float]:
        """Panel pixels (x from its left edge, y from the window's top) → normalized."""
        w, h = self.stage.size
        return self.x0 + x_px * self.fs / w, 1.0 - y_px_from_top * self.fs / h

    def build(self) -> None:
        """The rows of the current view's knobs (again after a change of view)."""
        for r in self.rows:
            for a in (r["key"], r["label"], r["value"], r["reason"]):
                self.stage.remove_overlay(a)
        self.rows = []
        knobs = self.live.knobs(self.view)
        for i, k in enumerate(knobs):
            y = TOP_PX + i * ROW_PX
            row = {"knob": k, "y": y,
                   "key": self._text("", TEXT_PX, mono=True, color=self.theme.text_dim),
                   "label": self._text("", TEXT_PX),
                   "value": self._text("", TEXT_PX, bold=True, justify="right"),
                   "reason": self._text("", 11, color=(1.0, 0.55, 0.45))}
            row["key"].GetPositionCoordinate().SetValue(*self._xy(10, y + 17))
            row["label"].GetPositionCoordinate().SetValue(*self._xy(56, y + 17))
            row["value"].GetPositionCoordinate().SetValue(*self._xy(PANEL_PX - 12, y + 17))
            row["reason"].GetPositionCoordinate().SetValue(*self._xy(56, y + 31))
            self.rows.append(row)
        self.header.GetPositionCoordinate().SetValue(*self._xy(10, 24))
        self.hint.GetPositionCoordinate().SetValue(*self._xy(10, 36))
        self.status.GetPositionCoordinate().SetValue(*self._xy(10, TOP_PX + len(knobs) * ROW_PX
                                                                + 4))
        self.refresh()

    def refresh(self) -> None:
        """Every row's text and track from the live state (and the pending values)."""
        n = self.live.n_views
        self.header.SetInput(f"knobs · view {self.view + 1} of {n}" if n > 1 else "knobs")
        self.hint.SetInput("key: next · shift+key: back · click or drag" +
                           (" · Tab: view" if n > 1 else ""))
        pts, polys, rgb = [], [], []

        def rect(x0, y0, x1, y1, color):
            (a, b), (c, d) = self._xy(x0, y1), self._xy(x1, y0)
            k = len(pts)
            pts.extend([(a, b, 0), (c, b, 0), (c, d, 0), (a, d, 0)])
            polys.append((k, k + 1, k + 2, k + 3))
            rgb.append(tuple(int(255 * v) for v in color[:3]))

        h_px = self.stage.size[1] / self.fs
        rect(0, 0, PANEL_PX, h_px, self.theme.panel_bg)
        rect(0, 0, 1.5, h_px, self.theme.text_dim)              # the edge by the views
        dim, accent = self.theme.text_dim, (1.0, 0.82, 0.40)
        for r in self.rows:
            k = r["knob"]
            busy = self.computing or {}
            waiting = k in self.pending or k in busy
            d = self.live.row(self.view, k, self.pending.get(k, busy.get(k)))
            reason = self.failed.get(k) or d["reason"]
            key = d["key"] if len(d["key"]) == 1 else {"period": "."}.get(d["key"], d["key"])
            r["key"].SetInput(f"[{key}]")
            r["label"].SetInput(d["label"])
            mark = "… " if waiting else ""
            if d["kind"] == "dropdown":
                r["value"].SetInput(f"{mark}‹ {d['text']} ›")
            elif d["kind"] == "toggle":
                r["value"].SetInput(f"{mark}{'☑' if d['text'] == 'on' else '☐'} {d['text']}")
            else:
                r["value"].SetInput(f"{mark}{d['text']}")
            r["value"].GetTextProperty().SetColor(*(accent if waiting else self.theme.text))
            # the CLI's hint in parentheses is for the terminal; the row keeps the reason
            r["reason"].SetInput(_fit(f"✗ {reason.split(' (')[0]}", 40) if reason else "")
            r["label"].GetTextProperty().SetColor(*(dim if reason and k in self.failed
                                                    else self.theme.text))
            if d["pos"] is not None and not reason:
                y = r["y"] + 25
                rect(56, y, PANEL_PX - 12, y + 4, (0.30, 0.33, 0.40))
                xk = 56 + d["pos"] * (PANEL_PX - 12 - 56)
                rect(56, y, xk, y + 4, accent if waiting else (0.45, 0.62, 0.95))
                rect(xk - 4, y - 4, xk + 4, y + 8, self.theme.text)
            r["track"] = (56, PANEL_PX - 12) if d["pos"] is not None else None
        points = vtk.vtkPoints()
        for p in pts:
            points.InsertNextPoint(*p)
        cells = vtk.vtkCellArray()
        for q in polys:
            cells.InsertNextCell(4, q)
        scal = vtk.vtkUnsignedCharArray()
        scal.SetNumberOfComponents(3)
        for c in rgb:
            scal.InsertNextTuple3(*c)
        self._poly.SetPoints(points)
        self._poly.SetPolys(cells)
        self._poly.GetCellData().SetScalars(scal)
        self._poly.Modified()

    def set_status(self, text: str) -> None:
        self.status.SetInput(_wrap(text.replace(" s", "\u00a0s"), 42))

    # ---------------------------------------------------------------- hits

    def contains(self, x: int, y: int) -> bool:
        """Whether display pixel (x, y) (VTK's: origin bottom left) is on the panel."""
        return x >= self.x0 * self.stage.size[0]

    def hit(self, x: int, y: int):
        """``(knob, where)`` under display pixel (x, y): ``where`` is the slider position
        0..1 on a track, else None; ``(None, None)`` off every row."""
        w, h = self.stage.size
        px = (x - self.x0 * w) / self.fs
        py = (h - y) / self.fs
        for r in self.rows:
            if r["y"] <= py < r["y"] + ROW_PX:
                t = r.get("track")
                if t is not None and py >= r["y"] + 19:
                    return r["knob"], float(np.clip((px - t[0]) / (t[1] - t[0]), 0, 1))
                return r["knob"], None
        return None, None


def _wrap(text: str, n: int) -> str:
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > n:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    if cur:
        lines.append(cur)
    return "\n".join(lines[:4])


def _fit(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"


class PlayController(Controller):
    """The window's `Controller` with a knob panel and a key per knob (see the module)."""

    def __init__(self, stage, sources, *args, live, **kw):
        self.live = live
        super().__init__(stage, sources, *args, **kw)
        self.panel = KnobPanel(stage, live)
        self.changing = None          # the changes the worker computes now
        self.changes = []             # the lines printed, in order (tests, the debug summary)
        self._drag = None
        inter = self.iren.interactor
        self._tags = {}
        for ev, fn in (("LeftButtonPressEvent", self._panel_press),
                       ("MouseMoveEvent", self._panel_move),
                       ("LeftButtonReleaseEvent", self._panel_release)):
            self._tags[ev] = inter.AddObserver(ev, fn, 2.0)
        pl = stage.plotter
        for k in self.live.knobs(0):
            key = self.live.keys[k]
            for sym, d in ((key, +1), (_shifted(key), -1)):
                pl.clear_events_for_key(sym, raise_on_missing=False)
                pl.add_key_event(sym, lambda k=k, d=d: self.turn(k, d))
        pl.clear_events_for_key("Tab", raise_on_missing=False)
        pl.add_key_event("Tab", self.next_panel_view)
        self._help.SetInput(play_help_text(self.live))
        width = 0.602 * stage.px(13) * max(len(x) for x in play_help_text(self.live).split("\n"))
        self._help.GetTextProperty().SetFontSize(int(round(stage.px(13))))
        self._help.GetPositionCoordinate().SetValue(
            max(0.01, (1 - stage.side) / 2 - width / 2 / stage.size[0]), 0.5)
        self.panel.set_status("change a knob: its key, or a click here")
        # the busy notice and the toasts: centred under the views, not the whole window
        self._notice.GetPositionCoordinate().SetValue((1 - stage.side) / 2, 0.095)

    # ---------------------------------------------------------------- knobs

    def target(self, knob: str):
        """The value ``knob`` is heading for: waiting, being computed, or the state's."""
        if knob in self.panel.pending:
            return self.panel.pending[knob]
        if self.changing is not None and knob in self.changing:
            return self.changing[knob]
        return self.live.value(self.panel.view, knob)

    def turn(self, knob: str, direction: int) -> None:
        """A knob's key: the next value (or the previous), applied (or waiting)."""
        view, start = self.panel.view, self.target(knob)
        value = self.live.step(view, knob, direction, start)
        first = value
        # a choice that cannot apply is passed over (its reason stays in the panel's row)
        for _ in range(12):
            if self.live.why(view, knob, value) is None or value == start:
                break
            value = self.live.step(view, knob, direction, value)
        self.request(knob, first if value == start else value)

    def request(self, knob: str, value) -> None:
        view = self.panel.view
        if value == self.target(knob):
            return
        reason = self.live.why(view, knob, value)
        if reason is not None:
            line = f"{self.live.labels[knob]} = {value!r} cannot apply: {reason}"
            self.log(f"landscape: {line}")
            self.panel.failed[knob] = reason
            self.panel.set_status(line)
            self.panel.refresh()
            self._render()
            return
        self.panel.failed.pop(knob, None)
        self.panel.pending[knob] = value
        if self.changing is None:
            self._launch()
        self.panel.refresh()
        self._render()

    def _launch(self) -> None:
        if not self.panel.pending:
            return
        view = self.panel.view
        changes, self.panel.pending = dict(self.panel.pending), {}
        self.changing = changes
        self.panel.computing = changes
        live = self.live
        names = ", ".join(live.labels[k] for k in changes)
        self.panel.set_status("computing " + ", ".join(
            f"{live.labels[k]} → {live.row(view, k, v)['text']}" for k, v in changes.items())
            + "…")

        def job():
            return ("play", live.apply(view, changes))
        self.worker.submit(job, f"recomputing ({names})…")

    def apply(self, result) -> None:
        if result[0] != "play":
            return super().apply(result)
        r = result[1]
        self.changing = self.panel.computing = None
        self.log(f"landscape: {r['line']}")
        self.changes.append(r["line"])
        self.panel.set_status(r["line"])
        if r["ok"]:
            self.live.restage(self.stage)
            self.sources = self.live.sources()
            self._compiled = set()
            for i, v in enumerate(self.stage.views):
                v.update(self.sources[i].snapshot(), group_ids=self.sources[i].group)
            self._status()
        else:
            for k in r["knobs"]:
                self.panel.failed[k] = r["reason"]
        self._launch()            # what was turned meanwhile: the latest values, one job
        self.panel.refresh()

    def next_panel_view(self) -> None:
        self.panel.view = (self.panel.view + 1) % self.live.n_views
        self.panel.pending, self.panel.failed = {}, {}
        self.panel.build()
        self._render()

    # ---------------------------------------------------------------- mouse on the panel

    def _abort(self, event: str) -> None:
        self.iren.interactor.GetCommand(self._tags[event]).SetAbortFlag(1)

    def _panel_press(self, *_) -> None:
        x, y = self.iren.interactor.GetEventPosition()
        if not self.panel.contains(x, y):
            return
        self._abort("LeftButtonPressEvent")
        knob, where = self.panel.hit(x, y)
        if knob is None:
            return
        if where is not None:
            self._drag = knob
            self._preview(knob, where)
            return
        shift = bool(self.iren.interactor.GetShiftKey())
        self.turn(knob, -1 if shift else +1)

    def _panel_move(self, *_) -> None:
        if self._drag is None:
            return
        self._abort("MouseMoveEvent")
        x, y = self.iren.interactor.GetEventPosition()
        self._preview(self._drag, self._track_x(self._drag, x))

    def _panel_release(self, *_) -> None:
        if self._drag is None:
            return
        self._abort("LeftButtonReleaseEvent")
        knob, self._drag = self._drag, None
        x, _ = self.iren.interactor.GetEventPosition()
        value = self.live.at(self.panel.view, knob, self._track_x(knob, x))
        self.request(knob, value)

    def _track_x(self, knob: str, x: int) -> float:
        row = next(r for r in self.panel.rows if r["knob"] == knob)
        t0, t1 = row["track"]
        px = (x - self.panel.x0 * self.stage.size[0]) / self.panel.fs
        return float(np.clip((px - t0) / (t1 - t0), 0, 1))

    def _preview(self, knob: str, where: float) -> None:
        value = self.live.at(self.panel.view, knob, where)
        self.panel.set_status(f"{self.live.labels[knob]} → {value:g}  (release to apply)")
        self._render()


def _shifted(key: str) -> str:
    return {"period": "greater"}.get(key, key.upper())


def play_help_text(live) -> str:
    """The window's keys and then every knob's key, in aligned columns."""
    keys, labels = live.keys, live.labels
    rows = list(HELP_ROWS[:-1])
    knobs = live.knobs(0)
    pairs = [(("." if keys[k] == "period" else keys[k]) + " / ⇧", labels[k]) for k in knobs]
    pairs.append(("Tab", "panel: next view"))
    for i in range(0, len(pairs), 2):
        a, b = pairs[i]
        c, d = pairs[i + 1] if i + 1 < len(pairs) else ("", "")
        rows.append((a, b, c, d))
    rows.append(HELP_ROWS[-1])
    w = [max(len(r[k]) for r in rows) for k in range(4)]
    return "\n".join(f"{a:<{w[0]}}  {b:<{w[1]}}    {c:<{w[2]}}  {d}" for a, b, c, d in rows)


def open_play_window(stage, live, *, title: str = "landscape play", home_camera: str = "iso",
                     log=None, on_first_frame=None) -> PlayController:
    """The playground's window on ``stage`` (built with ``side=side_for(width)``), steered
    by ``live`` (`landscape.playground.Live`), until it is closed (``q``, ``Esc``, the close
    button); Ctrl-C closes it and raises `KeyboardInterrupt` (as `open_window`)."""
    from landscape.render._window import open_window

    def make(*args, **kw):
        return PlayController(*args, live=live, **kw)
    return open_window(stage, live.sources(), title=title, home_camera=home_camera, log=log,
                       on_first_frame=on_first_frame, controller=make)
