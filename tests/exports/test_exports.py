"""`landscape export`: what each file format holds, read back by independent readers (VTK's
glTF, XML and legacy readers), and every mistake a user can make ending in one line, exit
status 2 and nothing written."""

import json
import os
import struct
from html.parser import HTMLParser

import numpy as np
import pytest
from cli_errors import one_line_error, run
from gltf_tools import assert_valid
from sample_files import make_files

from landscape.exports._content import check_pair, even_frames, from_files
from landscape.exports._export import export
from landscape.exports._geometry import grid_triangles, sphere, vertex_normals
from landscape.exports._gltf import srgb_to_linear


@pytest.fixture(scope="module")
def files(mlp_task, tmp_path_factory):
    return make_files(mlp_task, str(tmp_path_factory.mktemp("exports")))


# ------------------------------------------------------------------ geometry


def test_grid_triangles_cover_every_cell_once_and_face_up():
    na, nb = 4, 3
    t = grid_triangles(na, nb)
    assert t.shape == (2 * (na - 1) * (nb - 1), 3)
    a, b = np.meshgrid(np.arange(na, dtype=float), np.arange(nb, dtype=float), indexing="ij")
    p = np.c_[a.ravel(), b.ravel(), np.zeros(na * nb)]
    normals = np.cross(p[t[:, 1]] - p[t[:, 0]], p[t[:, 2]] - p[t[:, 0]])
    assert np.all(normals[:, 2] > 0)                      # counter-clockwise seen from +z
    assert np.isclose(0.5 * np.abs(normals[:, 2]).sum(), (na - 1) * (nb - 1))   # area
    n = vertex_normals(p, t)
    assert np.allclose(n, [0, 0, 1])


def test_sphere_is_closed_and_outward():
    p, t = sphere(2.0)
    assert np.allclose(np.linalg.norm(p, axis=1), 2.0)
    e = np.sort(np.c_[t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]].reshape(-1, 2), axis=1)
    _, counts = np.unique(e, axis=0, return_counts=True)
    assert np.all(counts == 2)                            # every edge shared by two faces
    c = p[t].mean(1)
    nrm = np.cross(p[t[:, 1]] - p[t[:, 0]], p[t[:, 2]] - p[t[:, 0]])
    assert np.all((nrm * c).sum(1) > 0)


def test_even_frames_keep_first_and_last():
    f = even_frames(301, 120)
    assert f[0] == 0 and f[-1] == 300 and len(f) == 120 and np.all(np.diff(f) > 0)
    assert list(even_frames(5, 120)) == [0, 1, 2, 3, 4]


# ------------------------------------------------------------------ file formats


def surface_block(mb):
    """The glTF reader's block holding the surface (the one with the loss)."""
    import pyvista as pv

    stack = [mb]
    while stack:
        b = stack.pop()
        if isinstance(b, pv.MultiBlock):
            stack.extend(b[i] for i in range(b.n_blocks))
        elif b is not None and "_LOSS" in b.point_data:
            return b
    raise AssertionError("no block with a _LOSS array")


@pytest.mark.parametrize("ext", [".glb", ".gltf"])
def test_gltf_reads_back_with_the_surface_loss_and_colours(files, tmp_path, ext):
    import pyvista as pv

    out = str(tmp_path / f"s{ext}")
    info = export(files.surface_path, out, trajectory=files.trajectory_path)
    assert info["format"] == ext[1:] and os.path.getsize(out) == info["bytes"]
    assert assert_valid(out)["info"]["animationCount"] == 1
    s = files.surface
    block = surface_block(pv.read(out))
    na, nb = s.shape
    assert block.n_points == na * nb
    assert np.allclose(block.point_data["_LOSS"], s.loss.ravel(), rtol=1e-6)
    assert np.allclose(block.point_data["_ACCURACY"], s.accuracy.ravel())
    # glTF is +Y up: the reader applies our root rotation, so (a, b, z) comes back as
    # (a, z, -b); the grid's a and b must be exactly where they were
    pts = np.asarray(block.points)
    A, B = np.meshgrid(s.alphas, s.betas, indexing="ij")
    assert np.allclose(pts[:, 0], A.ravel(), atol=1e-5)
    assert np.allclose(-pts[:, 2], B.ravel(), atol=1e-5)
    # higher loss stands higher
    order = np.argsort(s.loss.ravel())
    assert pts[order[-1], 1] > pts[order[0], 1]
    assert "COLOR_0" in block.point_data


def test_glb_structure_balls_and_linear_colours(files, tmp_path):
    out = str(tmp_path / "s.glb")
    export(files.surface_path, out, trajectory=files.trajectory_path)
    assert_valid(out)
    data = open(out, "rb").read()
    magic, version, length = struct.unpack("<4sII", data[:12])
    assert (magic, version, length) == (b"glTF", 2, len(data))
    n = struct.unpack("<I", data[12:16])[0]
    doc = json.loads(data[20:20 + n])
    names = [m["name"] for m in doc["meshes"]]
    assert names[0] == "surface" and "sgd" in names and "adam" in names
    t = files.trajectory
    for g, name in enumerate(("sgd", "adam")):
        mesh = doc["meshes"][names.index(name)]
        count = doc["accessors"][mesh["primitives"][0]["attributes"]["POSITION"]]["count"]
        assert count == 2 + 12 * 6                 # one UV sphere (12 segments, 7 bands)
        live = ((t.group == g) & ~t.escaped[-1]).sum()
        users = [n for n in doc["nodes"] if n.get("mesh") == names.index(name)]
        assert len(users) == live                  # one node per ball shares it
    mat = doc["materials"][doc["meshes"][names.index("sgd")]["primitives"][0]["material"]]
    want = srgb_to_linear(np.array([0xff, 0x4d, 0x6d]) / 255)   # the renderer's first colour
    assert np.allclose(mat["pbrMetallicRoughness"]["baseColorFactor"][:3], want)
    assert doc["nodes"][0]["rotation"] == pytest.approx([-0.70710678, 0, 0, 0.70710678])


@pytest.mark.parametrize("ext", [".vtp", ".vtk", ".obj", ".stl", ".ply"])
def test_vtk_and_mesh_files_hold_the_whole_grid(files, tmp_path, ext):
    """Every format: one point per grid point, two triangles per cell, a and b in place; the
    VTK formats also carry the loss and accuracy as computed, the PLY the colours."""
    import pyvista as pv

    out = str(tmp_path / f"s{ext}")
    export(files.surface_path, out)
    m = pv.read(out)
    s = files.surface
    assert m.n_points == s.loss.size and m.n_cells == 2 * (s.shape[0] - 1) * (s.shape[1] - 1)
    assert np.allclose(sorted(np.unique(np.round(m.points[:, 0], 5))), np.round(s.alphas, 5))
    assert np.allclose(sorted(np.unique(np.round(m.points[:, 1], 5))), np.round(s.betas, 5))
    if ext in (".vtp", ".vtk"):
        assert np.allclose(m.point_data["loss"], s.loss.ravel())
        assert np.allclose(m.point_data["accuracy"], s.accuracy.ravel())
        assert np.allclose(m.point_data["a"], np.repeat(s.alphas, s.shape[1]))
        assert np.allclose(m.point_data["b"], np.tile(s.betas, s.shape[0]))
        assert np.allclose(m.points[:, 2], m.point_data["height"])
    if ext == ".ply":
        assert m.point_data["RGB"].shape == (s.loss.size, 3)


class Sources(HTMLParser):
    """Every src/href attribute and every url(...) in inline styles."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("src", "href", "data", "poster", "srcset") and v:
                self.urls.append((tag, v))


def test_page_is_one_file_with_no_remote_sources(files, tmp_path):
    out = str(tmp_path / "s.html")
    info = export(files.surface_path, out, trajectory=files.trajectory_path)
    text = open(out, encoding="utf-8").read()
    p = Sources()
    p.feed(text)
    assert p.urls == []                                   # nothing loaded from anywhere
    css = text[text.index("<style>"):text.index("</style>")]
    assert "url(" not in css and "@import" not in css
    assert text.count("<script") == 3 and 'src="' not in text.split("<script", 1)[0]
    data = json.loads(text.split('id="landscape-data">', 1)[1].split("</script>", 1)[0])
    (view,) = data["views"]
    b = view["balls"]
    assert b["n"] == files.trajectory.n_balls and data["steps"] == info["steps"] == 25
    assert b["map"][0] == 0 and b["steps"][b["map"][-1]] == 24


# ------------------------------------------------------------------ trajectories and surfaces


def test_fingerprint_tells_surfaces_apart(files):
    from landscape.balls._trajectory import Trajectory
    from landscape.surface._surface import Surface

    s = Surface.load(files.surface_path)
    assert s.fingerprint() == files.surface.fingerprint()
    assert Surface.load(files.other_surface_path).fingerprint() != s.fingerprint()
    t = Trajectory.load(files.trajectory_path)
    assert t.meta["surface_fingerprint"] == s.fingerprint()
    check_pair(s, t)
    with pytest.raises(Exception, match="not simulated on"):
        check_pair(s, Trajectory.load(files.other_trajectory_path))


def test_trajectories_without_a_fingerprint_fall_back_to_the_extent(files):
    from landscape.balls._trajectory import Trajectory

    t = Trajectory.load(files.trajectory_path)
    del t.meta["surface_fingerprint"]
    t.meta["surface"] = None
    check_pair(files.surface, t)                          # bounds contain the grid
    t.meta["bounds"] = [-0.5, 0.5, -0.5, 0.5]
    with pytest.raises(Exception, match="extent differs"):
        check_pair(files.surface, t)


def test_content_from_files_orients_the_grid(files):
    c = from_files(files.surface_path, files.trajectory_path)
    (v,) = c.views
    assert c.animated and c.n_steps == 25 and list(v.frames) == list(range(25))
    assert v.scale.lo == pytest.approx(float(np.nanmin(files.surface.loss)))


# ------------------------------------------------------------------ bad input


def test_unknown_extension_lists_the_valid_ones(files, tmp_path, capsys):
    line = one_line_error(capsys, tmp_path, "export", files.surface_path, "-o",
                          tmp_path / "s.xyz")
    for ext in (".html", ".glb", ".gltf", ".vtp", ".vtk", ".obj"):
        assert ext in line


def test_trajectory_given_as_the_surface(files, tmp_path, capsys):
    line = one_line_error(capsys, tmp_path, "export", files.trajectory_path, "-o",
                          tmp_path / "s.html")
    assert "trajectory file" in line and "--trajectory" in line


def test_surface_given_as_the_trajectory(files, tmp_path, capsys):
    line = one_line_error(capsys, tmp_path, "export", files.surface_path, "--trajectory",
                          files.other_surface_path, "-o", tmp_path / "s.html")
    assert "surface file, not a trajectory" in line


def test_trajectory_from_another_surface(files, tmp_path, capsys):
    line = one_line_error(capsys, tmp_path, "export", files.surface_path, "--trajectory",
                          files.other_trajectory_path, "-o", tmp_path / "s.glb")
    assert "not simulated on" in line


@pytest.mark.parametrize("where", ["missing", "is_dir", "under_file", "proc"])
def test_unwritable_destination(files, tmp_path, capsys, where):
    out = {"missing": tmp_path / "no" / "s.html", "is_dir": tmp_path,
           "under_file": tmp_path / "f.txt" / "s.html", "proc": "/proc/landscape-test.vtp"}[where]
    if where == "is_dir":
        out = tmp_path / "d.html"
        out.mkdir()
    (tmp_path / "f.txt").write_text("x")
    line = one_line_error(capsys, tmp_path, "export", files.surface_path, "-o", out)
    assert "cannot" in line and not any(n.startswith(".") for n in os.listdir(tmp_path))


def test_options_that_cannot_apply_are_errors(files, tmp_path, capsys):
    for extra in (["--quality", "low"], ["--seed", "3"], ["--view", "2"], ["--theme", "neon"]):
        one_line_error(capsys, tmp_path, "export", files.surface_path, *extra, "-o",
                       tmp_path / "s.html")
    one_line_error(capsys, tmp_path, "export", files.surface_path, "--theme", "light", "-o",
                   tmp_path / "s.glb")
    one_line_error(capsys, tmp_path, "export", files.surface_path, "SomeScene", "-o",
                   tmp_path / "s.html")
    one_line_error(capsys, tmp_path, "export", tmp_path / "nothing.npz", "-o",
                   tmp_path / "s.html")


# ------------------------------------------------------------------ scenes

TWO_VIEWS = '''\
"""Two tiny landscapes for the export tests."""
from landscape.scene import Orbit, Roll, Scene

NET = dict(dataset="moons", n_samples=64, widths=(4,), output="sigmoid", train_steps=20)


class Pair(Scene):
    """Two views."""

    def construct(self):
        a = self.landscape(**NET, title="first")
        a.balls(n=4, lr=0.05, batch_size=16)
        b = self.landscape(**NET, activation="tanh", title="second")
        b.balls(n=3, lr=0.05, batch_size=16)
        self.caption("rolling")
        self.play(Roll(steps=6), Orbit(degrees=30), run_time=2)
        self.caption("only the first")
        self.play(Roll(steps=4, landscapes=a), run_time=1)
'''


@pytest.fixture(scope="module")
def scene_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("scene") / "pair.py"
    p.write_text(TWO_VIEWS)
    return str(p)


def test_scene_exports_every_view_on_one_timeline(scene_file, tmp_path, capsys):
    from landscape.exports._content import from_computed
    from landscape.scene import compute_scene, timeline
    from landscape.scene._loader import build_scene

    out = tmp_path / "pair.html"
    code, stdout, err = run(capsys, "export", scene_file, "-q", "tiny", "-o", out, "--json")
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["views"] == 2 and summary["format"] == "html"
    text = out.read_text(encoding="utf-8")
    data = json.loads(text.split('id="landscape-data">', 1)[1].split("</script>", 1)[0])
    assert [v["title"].split("  ·  ")[0] for v in data["views"]] == ["first", "second"]
    assert data["captions"][1] == "rolling" and data["captions"][-1] == "only the first"
    # the timeline: the first view rolls 10 steps, the second stops at 6
    last = [v["balls"]["steps"][v["balls"]["map"][-1]] for v in data["views"]]
    assert last == [10, 6]
    computed = compute_scene(build_scene(scene_file, quality="tiny"))
    c = from_computed(computed)
    spec = timeline(computed.scene, 30)
    assert [list(v.frames[1:]) for v in c.views] == [[f.index[i] for f in spec] for i in (0, 1)]


def test_scene_views_and_single_surface_formats(scene_file, tmp_path, capsys):
    line = one_line_error(capsys, tmp_path, "export", scene_file, "-q", "tiny", "-o",
                          tmp_path / "p.vtp")
    assert "--view 1..2" in line
    one_line_error(capsys, tmp_path, "export", scene_file, "-q", "tiny", "--view", "3", "-o",
                   tmp_path / "p.vtp")
    one_line_error(capsys, tmp_path, "export", scene_file, "-q", "tiny", "--trajectory",
                   tmp_path / "x.npz", "-o", tmp_path / "p.html")
    one_line_error(capsys, tmp_path, "export", scene_file, "Nope", "-q", "tiny", "-o",
                   tmp_path / "p.html")
    code, _, err = run(capsys, "export", scene_file, "-q", "tiny", "--view", "2", "-o",
                       tmp_path / "p.vtp")
    assert code == 0, err
    import pyvista as pv

    m = pv.read(str(tmp_path / "p.vtp"))
    assert m.n_points == 15 * 15 and "loss" in m.point_data
    code, _, err = run(capsys, "export", scene_file, "-q", "tiny", "-o", tmp_path / "p.glb")
    assert code == 0, err
    assert_valid(tmp_path / "p.glb")
    doc_len = struct.unpack("<I", (tmp_path / "p.glb").read_bytes()[12:16])[0]
    doc = json.loads((tmp_path / "p.glb").read_bytes()[20:20 + doc_len])
    assert [doc["nodes"][k]["name"].split("  ·  ")[0] for k in doc["nodes"][0]["children"]] \
        == ["first", "second"]


def test_plot_png_and_export_glb_html_load_no_vtk(files, tmp_path):
    """``ls.plot(...)`` to a PNG and ``ls.export(...)`` to .glb and .html draw from
    `landscape.picture`: no ``vtk*``/``pyvista*`` module is ever imported (a fresh process)."""
    import subprocess
    import sys

    code = f"""
import sys
import landscape as ls
s, t = {files.surface_path!r}, {files.trajectory_path!r}
ls.plot(s, {str(tmp_path / "f.png")!r}, trajectory=t)
ls.export(s, {str(tmp_path / "x.glb")!r}, trajectory=t)
ls.export(s, {str(tmp_path / "x.html")!r}, trajectory=t)
print(sorted(m for m in sys.modules if m.startswith(("vtk", "pyvista"))))
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                       check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().splitlines()[-1] == "[]", r.stdout
    for f in ("f.png", "x.glb", "x.html"):
        assert (tmp_path / f).stat().st_size > 1000
    assert_valid(tmp_path / "x.glb")
    # and the VTK formats do load it, lazily
    r = subprocess.run([sys.executable, "-c", f"""
import sys
import landscape as ls
ls.export({files.surface_path!r}, {str(tmp_path / "x.vtp")!r})
print(any(m.startswith("pyvista") for m in sys.modules))
"""], capture_output=True, text=True, timeout=600,
                       check=False)
    assert r.returncode == 0 and r.stdout.strip().splitlines()[-1] == "True", r.stderr[-2000:]
