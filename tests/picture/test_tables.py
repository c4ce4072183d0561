"""Each picture table (themes, palettes, camera presets, formats by extension) is written once,
in `landscape.picture`, and every reader agrees with it."""

from __future__ import annotations

import os
import re

import pytest

from landscape import picture

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PKG = os.path.join(ROOT, "landscape")


def sources():
    for dp, _, fn in os.walk(PKG):
        for f in fn:
            if f.endswith(".py"):
                p = os.path.join(dp, f)
                with open(p, encoding="utf-8") as fh:
                    yield os.path.relpath(p, ROOT), fh.read()


def files_with(pattern: str) -> list[str]:
    rx = re.compile(pattern)
    return sorted(p for p, text in sources() if rx.search(text))


@pytest.mark.parametrize("pattern", [
    r"\(38\.0,\s*-55\.0\)",                    # the iso camera
    r"\(6\.0,\s*-90\.0\)",                     # the side camera
    r"#151a23",                                # the dark background
    r"#f6f6f3",                                # the light stage background
    r"#ff4d6d",                                # the first group colour
    r"#e5383b",                                # its light-page twin
    r"#7fb2ff",                                # a figure line colour
    r"\"\.glb\":\s*\"glb\"",                   # the export formats
    r"\"\.pdf\":\s*\"pdf\"|\"\.pdf\",\s*\"\.svg\"",  # the figure formats
    r"\(\"mp4\",\s*\"gif\",\s*\"png\"\)|\"\.mp4\":\s*\"mp4\"",  # the video formats
])
def test_each_table_is_written_once(pattern):
    where = files_with(pattern)
    assert len(where) == 1 and where[0].startswith(os.path.join("landscape", "picture")), where


def test_every_reader_uses_the_one_table():
    from landscape import exports, figures
    from landscape.cli import _render as cli_render
    from landscape.exports import _export, _page
    from landscape.figures import _style
    from landscape.render import _camera, _video

    assert _camera.PRESETS is picture.CAMERAS
    assert _page.CAMERAS is picture.CAMERAS
    assert exports.FORMATS is picture.EXPORT_FORMATS
    assert _export.SINGLE_SURFACE is picture.VTK_FORMATS
    assert figures.FORMATS == tuple(picture.FIGURE_FORMATS) == (".pdf", ".svg", ".png")
    assert _video.FORMATS == cli_render.FORMATS == ("mp4", "gif", "png")
    assert set(_export.THEMES) == set(_style.THEMES) == set(picture.THEMES) == {"dark", "light"}
    for name, t in picture.THEMES.items():
        assert t.name == name
        assert _style.colors(name) == dict(t.figure)
        assert _page.group_colors([{}, {"color": "#123456"}], name) == [t.page_palette[0],
                                                                         "#123456"]
    assert picture.THEMES["dark"].page_palette == picture.GROUP_PALETTE


def test_video_format_from_the_extension():
    from landscape.errors import LandscapeError
    from landscape.render._video import format_of

    assert [format_of(p, None) for p in ("a.MP4", "b.gif", "frames", "c.png")] == \
        ["mp4", "gif", "png", "png"]
    with pytest.raises(LandscapeError):
        format_of("x.avi", None)


def test_camera_presets_agree_between_stage_rig_and_page():
    """The page's plotly eye points the same way as the stage's vtkCamera for every preset."""
    import numpy as np

    from landscape.exports._page import _camera  # the page's own conversion

    for name, (el, az) in picture.CAMERAS.items():
        eye = _camera(name, {"z": 0.0})["eye"]
        d = np.array([eye["x"], eye["y"], eye["z"]])
        e, a = np.radians(el), np.radians(az)
        want = np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])
        np.testing.assert_allclose(d / np.linalg.norm(d), want, atol=1e-12)


def test_theme_is_frozen_and_maps_are_read_only():
    t = picture.THEMES["dark"]
    with pytest.raises(AttributeError):
        t.text = (0, 0, 0)
    with pytest.raises(TypeError):
        t.page["bg"] = "#000000"
    assert picture.get_theme(t) is t and picture.get_theme("light").name == "light"
