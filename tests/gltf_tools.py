"""glTF files for the tests: the Khronos validator (npm ``gltf-validator``, run with node) and
three.js (npm ``three``), installed with npm into a cache folder outside the repository the
first time a test needs them, and a reader for what a ``.glb``/``.gltf`` holds.

    report = validate("x.glb")          # the validator's JSON report
    doc, blob = read_gltf("x.glb")      # the JSON document and the binary buffer
    positions = accessor(doc, blob, 3)  # one accessor as a numpy array

The folder is ``$LANDSCAPE_NODE_DIR``, else ``~/.cache/landscape-tests/node`` (`.ci/run`
installs both packages there). Without node and npm, or when npm cannot install, a test that
needs them skips, and fails in CI (``$CI`` set)."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import struct
import subprocess

import numpy as np
import pytest

PACKAGES = ("gltf-validator", "three")
HERE = os.path.dirname(os.path.abspath(__file__))
DTYPES = {5126: np.float32, 5125: np.uint32, 5123: np.uint16, 5121: np.uint8}
WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}


def node_dir() -> str:
    return os.environ.get("LANDSCAPE_NODE_DIR") or os.path.expanduser(
        "~/.cache/landscape-tests/node")


def _unavailable(why: str):
    if os.environ.get("CI"):
        raise RuntimeError(f"{why} in CI: .ci/run must install node, npm and {PACKAGES}")
    pytest.skip(why)


def node_modules() -> str:
    """The ``node_modules`` folder holding `PACKAGES`, installing them when missing (one
    process at a time: a lock file beside it)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        _unavailable("no node/npm on this machine")
    root = node_dir()
    mods = os.path.join(root, "node_modules")
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        missing = [p for p in PACKAGES if not os.path.exists(os.path.join(mods, p, "package.json"))]
        if missing:
            r = subprocess.run(["npm", "install", "--prefix", root, "--no-audit", "--no-fund",
                                *missing], capture_output=True, text=True, timeout=600,
                               check=False)
            if r.returncode != 0:
                _unavailable(f"npm could not install {missing}: {r.stderr.strip()[-300:]}")
    return mods


def validate(path) -> dict:
    """The Khronos glTF validator's report on ``path`` (every issue listed)."""
    env = dict(os.environ, NODE_PATH=node_modules())
    r = subprocess.run(["node", os.path.join(HERE, "gltf_validate.js"), os.fspath(path)],
                       capture_output=True, text=True, timeout=300, env=env, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout)


def assert_valid(path) -> dict:
    """Validate ``path``: no error, warning, info or hint; returns the report."""
    report = validate(path)
    issues = report["issues"]
    assert (issues["numErrors"], issues["numWarnings"], issues["numInfos"],
            issues["numHints"]) == (0, 0, 0, 0), json.dumps(issues["messages"][:10], indent=1)
    return report


def read_gltf(path) -> tuple[dict, bytes]:
    """The JSON document and the binary buffer of a ``.glb`` or a one-file ``.gltf``."""
    data = open(path, "rb").read()
    if data[:4] == b"glTF":
        n = struct.unpack("<I", data[12:16])[0]
        doc = json.loads(data[20:20 + n])
        m = struct.unpack("<I", data[20 + n:24 + n])[0]
        return doc, data[28 + n:28 + n + m]
    doc = json.loads(data)
    uri = doc["buffers"][0]["uri"]
    return doc, base64.b64decode(uri.split(",", 1)[1])


def accessor(doc: dict, blob: bytes, index: int) -> np.ndarray:
    """Accessor ``index`` as an array ``[count]`` or ``[count, width]``."""
    a = doc["accessors"][index]
    v = doc["bufferViews"][a["bufferView"]]
    w = WIDTH[a["type"]]
    dt = np.dtype(DTYPES[a["componentType"]])
    start = v.get("byteOffset", 0) + a.get("byteOffset", 0)
    arr = np.frombuffer(blob, dt, a["count"] * w, start)
    return arr.reshape(a["count"], w) if w > 1 else arr.copy()


THREEJS_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>loading</title>
<style>html, body { margin: 0; background: #202020; overflow: hidden; }</style>
<script type="importmap">{"imports": {"three": "%(three)s/build/three.module.js",
                                      "three/addons/": "%(three)s/examples/jsm/"}}</script>
</head><body>
<script type="application/octet-stream" id="glb">%(glb)s</script>
<script type="module">
import * as THREE from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";

// ?t=SECONDS: the time to play the animation to (default: its end)
const T = parseFloat(new URLSearchParams(location.search).get("t") ?? "NaN");
const bytes = Uint8Array.from(atob(document.getElementById("glb").textContent.trim()),
                              c => c.charCodeAt(0));
const loader = new GLTFLoader();
loader.parse(bytes.buffer, "", (gltf) => {
  const scene = gltf.scene;
  scene.add(new THREE.HemisphereLight(0xffffff, 0x303030, 2.5));
  const sun = new THREE.DirectionalLight(0xffffff, 1.5);
  sun.position.set(1, 3, 2);
  scene.add(sun);
  const clip = gltf.animations[0];
  let t = 0;
  if (clip) {
    const mixer = new THREE.AnimationMixer(scene);
    const action = mixer.clipAction(clip);
    action.setLoop(THREE.LoopOnce);
    action.clampWhenFinished = true;
    action.play();
    t = Number.isNaN(T) ? clip.duration : T;
    mixer.setTime(t);
  }
  scene.updateMatrixWorld(true);
  const nodes = {}, scale = {}, morph = {};
  scene.traverse((o) => {
    const a = gltf.parser.associations.get(o);
    if (a === undefined || a.nodes === undefined) return;
    nodes[a.nodes] = o.getWorldPosition(new THREE.Vector3()).toArray();
    scale[a.nodes] = o.scale.x;    // its own (getWorldScale of a zero scale reads 1)
    if (o.morphTargetInfluences) morph[a.nodes] = Array.from(o.morphTargetInfluences);
  });
  // each camera in its own panel, side by side, as the video shows each view
  const renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
  renderer.setSize(innerWidth, innerHeight);
  renderer.setClearColor(0x1a1a1f);
  renderer.setScissorTest(true);
  document.body.appendChild(renderer.domElement);
  const n = Math.max(gltf.cameras.length, 1), w = Math.floor(innerWidth / n);
  gltf.cameras.forEach((camera, i) => {
    camera.aspect = w / innerHeight;
    camera.updateProjectionMatrix();
    renderer.setViewport(i * w, 0, w, innerHeight);
    renderer.setScissor(i * w, 0, w, innerHeight);
    renderer.render(scene, camera);
  });
  window.result = { animations: gltf.animations.length, tracks: clip ? clip.tracks.length : 0,
                    duration: clip ? clip.duration : 0, time: t, cameras: gltf.cameras.length,
                    tracksByPath: clip ? clip.tracks.map(k => k.name) : [], nodes, scale,
                    morph };
  document.title = `animations=${window.result.animations} tracks=${window.result.tracks}`;
}, (error) => { window.result = { error: String(error) }; document.title = "error"; });
</script></body></html>
"""


def threejs_page(glb_path, html_path) -> str:
    """A page that loads ``glb_path`` (embedded as base64) with three.js's GLTFLoader, plays
    its first animation to ``?t=`` seconds (default: the end) with an AnimationMixer, renders
    it through each of the file's cameras in a panel of its own, side by side, and sets
    ``window.result`` (animation and track counts, every node's world position and own scale,
    morph weights) and ``document.title``. Chromium must run with
    ``--allow-file-access-from-files`` to load three.js's modules from the cache folder."""
    three = "file://" + os.path.join(node_modules(), "three")
    glb = base64.b64encode(open(glb_path, "rb").read()).decode("ascii")
    with open(html_path, "w", encoding="utf-8") as fh:
        fh.write(THREEJS_PAGE % {"three": three, "glb": glb})
    return os.fspath(html_path)
