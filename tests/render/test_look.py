"""Themes (dark/light) and looks (plain/cinematic): they reach the renderer, a light frame is
light with dark text and the dark one is unchanged, and bad values are one-line errors."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from cli_errors import one_line_error  # noqa: E402
from synthetic import bowl_surface, spiral_trajectory  # noqa: E402

from landscape.picture import THEMES  # noqa: E402
from landscape.render import Stage  # noqa: E402
from landscape.render._look import get_look  # noqa: E402

SIZE = (480, 270)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def frame(theme="dark", look="plain"):
    a, b, loss, acc = bowl_surface(41)
    tr = spiral_trajectory(a, b, loss, n_balls=40, n_frames=10)
    st = Stage(1, size=SIZE, off_screen=True, theme=theme, look=look)
    v = st.view(0)
    v.set_surface((a, b, loss, acc))
    v.set_balls(tr.groups, tr.group, tr.layers, title="A title in the theme's text colour")
    v.update(tr.frame(5))
    return st, v, st.screenshot()


def luminance(px) -> np.ndarray:
    px = np.asarray(px, np.float64)
    return 0.2126 * px[..., 0] + 0.7152 * px[..., 1] + 0.0722 * px[..., 2]


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_theme_background_and_text(theme):
    st, v, img = frame(theme)
    corner = luminance(img[-3:, :3]).mean()                  # bottom-left: background only
    title = luminance(img[5:25, 5:200])                      # the title's band
    if theme == "light":
        assert corner > 220, corner
        assert (title < 80).sum() > 50                       # dark text on it
    else:
        np.testing.assert_array_equal(img[-1, 0], (0x15, 0x1A, 0x23))   # as before themes
        assert (title > 200).sum() > 50                      # light text on it
    # the surface is drawn in both (viridis: some clearly coloured pixels mid-frame)
    mid = img[SIZE[1] // 3: 2 * SIZE[1] // 3, SIZE[0] // 4: SIZE[0] // 2].astype(int)
    assert (np.ptp(mid, axis=-1) > 60).sum() > 200
    st.close()


def test_light_theme_darkens_light_legend_colours_and_panel_keeps_contrast():
    st, v, _ = frame("light")
    white = st.theme.on_background("#f8f9fa")
    assert luminance(np.array(white) * 255) < 0.5 * 255
    assert st.theme.on_background("#ff4d6d") != (1.0, 0.0, 0.0)
    assert THEMES["dark"].on_background("#f8f9fa") == (248 / 255, 249 / 255, 250 / 255)
    assert luminance(np.asarray(st.theme.vanish) * 255) < 150  # a blue bar on an off-white panel
    st2 = Stage(1, size=SIZE, off_screen=True)               # the next stage is dark
    assert st2.theme.name == "dark" and st2.theme.background == "#151a23"
    assert st.theme.name == "light"                          # and the first one stays light
    st.close()
    st2.close()


def test_cinematic_look_reaches_the_renderer():
    st, v, img = frame("dark", "cinematic")
    look = get_look("cinematic")
    assert st.look is look and look.anti_aliasing == "ssaa"
    assert v.ball_actor.GetProperty().GetSpecular() == pytest.approx(look.ball_specular)
    assert v.trail_actor.GetProperty().GetLineWidth() == pytest.approx(look.trail_width)
    assert v._surface_actors["surface"].GetProperty().GetSpecular() == \
        pytest.approx(look.surface_specular)
    # trails are lifted above the balls' centres by trail_lift ball radii
    assert v.balls.lift == pytest.approx(look.trail_lift * v.radius) and v.balls.lift > 0
    z_trail = v.balls.trails.points[:, 2].reshape(v.balls.n, -1)[:, -1]
    np.testing.assert_allclose(z_trail, v.balls.balls.points[:, 2] + v.balls.lift, rtol=1e-5)
    assert img.std() > 10                                    # a real frame
    st.close()
    st, v, _ = frame("dark", "plain")
    assert v.balls.lift == 0 and v.ball_actor.GetProperty().GetSpecular() == 0
    st.close()


def test_bad_theme_or_look_is_one_line(capsys, tmp_path):
    scene = os.path.join(ROOT, "scenes", "two_layer_network.py")
    line = one_line_error(capsys, tmp_path, "render", scene, "--theme", "blue",
                          "-o", tmp_path / "x.mp4")
    assert "theme" in line and "light" in line
    line = one_line_error(capsys, tmp_path, "render", scene, "--look", "fancy",
                          "-o", tmp_path / "x.mp4")
    assert "look" in line and "cinematic" in line
    line = one_line_error(capsys, tmp_path, "render", scene, "--dry-run", "--theme", "light")
    assert "--dry-run" in line
    line = one_line_error(capsys, tmp_path, "show", scene, "--theme", "pink")
    assert "theme" in line


def test_two_stages_in_one_process_keep_their_own_themes():
    """A theme is a value handed to the stage (as ``pyvista.Plotter(theme=...)``), never module
    state: a light stage built while a dark one is half built leaves the dark one dark."""
    from landscape.picture import rgba_u8

    a, b, loss, acc = bowl_surface(41)
    tr = spiral_trajectory(a, b, loss, n_balls=40, n_frames=10)
    dark = Stage(1, size=SIZE, off_screen=True, theme="dark")
    dark.view(0).set_surface((a, b, loss, acc))
    light, _, light_img = frame("light")                    # built in between
    v = dark.view(0)
    v.set_balls(tr.groups, tr.group, tr.layers, title="A title in the theme's text colour")
    v.update(tr.frame(5))
    img = dark.screenshot()
    np.testing.assert_array_equal(img[-1, 0], (0x15, 0x1A, 0x23))
    assert (luminance(img[5:25, 5:200]) > 200).sum() > 50     # light text on the dark stage
    assert luminance(light_img[-3:, :3]).mean() > 220         # and the light one stays light
    d, lt = THEMES["dark"], THEMES["light"]
    assert v.hud.step.GetTextProperty().GetColor() == pytest.approx(d.text_dim)
    np.testing.assert_array_equal(v.panel.poly_rgba[0], rgba_u8(d.panel_bg, 0.78))
    lv = light.view(0)
    assert lv.hud.step.GetTextProperty().GetColor() == pytest.approx(lt.text_dim)
    np.testing.assert_array_equal(lv.panel.poly_rgba[0], rgba_u8(lt.panel_bg, 0.78))
    dark.close()
    light.close()
