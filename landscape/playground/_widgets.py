"""The playground in Jupyter: ipywidgets controls beside the picture. Every control is a real
labelled form control whose description is the knob's name; changing one calls
`Playground.set` for the chosen view and shows the new still and one status line
(``activation: relu → tanh, recomputed in 1.3 s``). A value that cannot apply leaves the state
as it was, puts the control back and says why in the status line.

    >>> pg.widget()          # or just `pg` as a cell's last line      # doctest: +SKIP
"""

from __future__ import annotations

from landscape.errors import LandscapeError
from landscape.playground._knobs import CONTROLS, current


def _control(widgets, knob: str, spec, value):
    kind = spec[0]
    style = {"description_width": "initial"}
    if kind == "dropdown":
        options = list(spec[1]) if value in spec[1] else [value, *spec[1]]
        return widgets.Dropdown(options=options, value=value, description=knob, style=style)
    if kind == "toggle":
        return widgets.Checkbox(value=bool(value), description=knob, style=style)
    if kind == "int":
        lo, hi, step = spec[1:]
        value = 1 if value is None else int(value)
        return widgets.IntSlider(value=min(max(value, lo), hi), min=lo, max=hi, step=step,
                                 description=knob, continuous_update=False, style=style)
    lo, hi = spec[1:]
    return widgets.FloatLogSlider(value=float(value), base=10, min=lo, max=hi, step=0.05,
                                  description=knob, continuous_update=False, style=style)


def build_widget(pg, view: int = 0):
    """The controls of view ``view``, the still and a status line, as one ipywidgets box.
    Needs ipywidgets (the ``notebook`` extra); without it one `LandscapeError` says so."""
    try:
        import ipywidgets as widgets
    except ImportError:
        raise LandscapeError("the playground's controls need ipywidgets: pip install "
                             "'landscape[notebook]' (or ipywidgets)") from None
    pg._land(view)
    image = widgets.Image(value=pg.computed.still(size=(640, 360)).data, format="png",
                          layout=widgets.Layout(width="640px"))
    status = widgets.Label(value=f"view {view}: change a knob")
    controls = {}
    n_data = int(pg.config(view).build_data().x_eval.shape[0])
    for knob, spec in CONTROLS.items():
        try:
            value = current(pg, view, knob)
        except (AttributeError, IndexError):
            continue
        if knob == "batch_size":        # at most the data: its top is the full batch
            spec = ("int", 1, n_data, 1)
            value = n_data if value is None else value
        controls[knob] = _control(widgets, knob, spec, value)

    def on_change(change, knob):
        if change.get("name") != "value" or getattr(on_change, "restoring", False):
            return
        status.value = f"{knob}: {change['old']!r} → {change['new']!r}: computing…"
        try:
            r = pg.set(view, **{knob: change["new"]})
        except LandscapeError as e:
            on_change.restoring = True
            try:
                controls[knob].value = change["old"]
            finally:
                on_change.restoring = False
            status.value = f"{knob} = {change['new']!r} cannot apply: {e}"
            return
        image.value = pg.computed.still(size=(640, 360)).data
        old, new = next(iter(r["knobs"].values()))
        status.value = f"{knob}: {old!r} → {new!r}, recomputed in {r['seconds']:.1f} s"

    for knob, w in controls.items():
        w.observe(lambda ch, k=knob: on_change(ch, k), names="value")
    box = widgets.HBox([widgets.VBox(list(controls.values()),
                                     layout=widgets.Layout(min_width="330px")),
                        widgets.VBox([image, status])])
    box.controls, box.image, box.status = controls, image, status
    return box
