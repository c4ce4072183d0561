"""Find scenes in a file and run their ``construct()``, turning every way this can go wrong
into one `LandscapeError` that names the scene file and its own line.

    >>> scenes = load_scenes("scenes/local_minima.py")     # doctest: +SKIP
    >>> scene = build_scene("scenes/local_minima.py", None, quality="tiny")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import traceback
import zlib

from landscape.errors import LandscapeError
from landscape.scene._scene import Scene


def load_scenes(path: str, *, allow_none: bool = False) -> dict[str, type]:
    """The `Scene` subclasses defined in ``path``, by class name, in file order (a file that
    defines none is an error unless ``allow_none``)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise LandscapeError(f"no such scene file: {path}")
    if os.path.isdir(path):
        raise LandscapeError(f"{path} is a directory; give a scene file (.py)")
    if not path.endswith(".py"):
        raise LandscapeError(f"{path} is not a Python file; scene files end in .py")
    name = f"landscape_scene_{zlib.crc32(os.path.abspath(path).encode()):08x}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    try:
        with open(path, "rb") as f:
            source = f.read()
        code = compile(source, path, "exec")
    except SyntaxError as e:
        raise LandscapeError(f"{path}:{e.lineno}: syntax error: {e.msg}") from None
    except (OSError, ValueError) as e:
        raise LandscapeError(f"cannot read {path}: {e}") from None
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)
    except LandscapeError as e:
        raise LandscapeError(f"{path}:{_user_line(e, path)}: {e}") from None
    except Exception as e:  # whatever the script's top level raised
        raise LandscapeError(f"{path}:{_user_line(e, path)}: error while loading the file: "
                             f"{type(e).__name__}: {e}") from None
    scenes = {k: v for k, v in vars(module).items()
              if isinstance(v, type) and issubclass(v, Scene) and v is not Scene
              and v.__module__ == name}
    if not scenes and not allow_none:
        raise LandscapeError(f"{path} defines no scene (a class deriving from "
                             f"landscape.scene.Scene with a construct() method)")
    return scenes


def snake(name: str) -> str:
    """``VanishingGradient`` → ``vanishing_gradient``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def pick_scene(path: str, name: str | None = None) -> type:
    """The scene class called ``name`` (class name or its snake_case form, any case); without a
    name, the file's only scene."""
    scenes = load_scenes(path)
    listing = ", ".join(scenes)
    if name is None:
        if len(scenes) == 1:
            return next(iter(scenes.values()))
        raise LandscapeError(f"{path} has {len(scenes)} scenes; name one: {listing}")
    want = name.lower().replace("-", "_")
    for k, cls in scenes.items():
        if want in (k.lower(), snake(k)):
            return cls
    raise LandscapeError(f"no scene {name!r} in {path}; its scenes are: {listing}")


def build_scene(path: str, name: str | None = None, *, seed: int | None = None,
                quality="medium") -> Scene:
    """Load, instantiate and ``construct()`` a scene; errors name the scene file's line."""
    cls = pick_scene(path, name)
    scene = cls(seed=seed, quality=quality)
    try:
        scene.construct()
    except LandscapeError as e:
        line = _user_line(e, path)
        where = f"{path}:{line}: " if line else f"{path}: "
        raise LandscapeError(f"{where}in {cls.__name__}.construct(): {e}") from None
    except Exception as e:
        line = _user_line(e, path)
        where = f"{path}:{line}: " if line else f"{path}: "
        raise LandscapeError(f"{where}in {cls.__name__}.construct(): "
                             f"{type(e).__name__}: {e}") from None
    if not scene.landscapes:
        raise LandscapeError(f"{path}: {cls.__name__}.construct() added no landscape "
                             f"(call self.landscape(...))")
    if not scene.segments:
        raise LandscapeError(f"{path}: {cls.__name__}.construct() plays nothing "
                             f"(call self.play(...) or self.wait(...))")
    return scene


def _user_line(exc: BaseException, path: str) -> int | None:
    """The line of the deepest traceback frame inside ``path`` (the scene's own code)."""
    target = os.path.realpath(path)
    line = None
    for fs in traceback.extract_tb(exc.__traceback__):
        if os.path.realpath(fs.filename) == target:
            line = fs.lineno
    return line
