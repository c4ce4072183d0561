"""A constructed scene written back as a scene file: `scene_source(scene)` is Python that, run
through `landscape.scene.build_scene`, constructs the same landscapes (configs, titles, panels,
modes, scales, timelapses), the same ball groups (settings, start shapes, shared starts) and the
same timeline (rolls, orbits, waits, captions, camera presets). The playground saves an
exploration this way, so it becomes a script and a video."""

from __future__ import annotations

import dataclasses

import numpy as np

from landscape.pipeline import LandscapeConfig
from landscape.scene import Balls, Scene

# set by the scene (its quality), never written
_CONFIG_SKIP = {"grid"}
_BALL_SKIP = {"where", "same_start_as", "points"}


def _literal(v) -> str:
    """``v`` as a Python literal that evaluates back to an equal value."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, LandscapeConfig):
        return f"LandscapeConfig({_kwargs(config_fields(v))})"
    if isinstance(v, tuple):
        return "(" + ", ".join(_literal(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    if isinstance(v, list):
        return "[" + ", ".join(_literal(x) for x in v) + "]"
    if isinstance(v, (bool, int, float, str)) or v is None:
        return repr(v)
    raise TypeError(f"cannot write {type(v).__name__} {v!r} into a scene file")


def _kwargs(d: dict) -> str:
    return ", ".join(f"{k}={_literal(v)}" for k, v in d.items())


def config_fields(cfg: LandscapeConfig, seed: int | None = None) -> dict:
    """The fields of ``cfg`` that differ from `LandscapeConfig`'s defaults (the grid, which the
    scene's quality sets, left out; the seed left out when it is the scene's ``seed``)."""
    out = {}
    for f in dataclasses.fields(LandscapeConfig):
        v = getattr(cfg, f.name)
        if f.name in _CONFIG_SKIP or v == f.default:
            continue
        if f.name == "seed" and seed is not None and v == seed:
            continue
        out[f.name] = v
    if seed is not None and "seed" not in out and cfg.seed != seed:
        out["seed"] = cfg.seed
    return out


def ball_fields(b: Balls) -> dict:
    """The settings of ``b`` that differ from a `Balls`' defaults (its name always)."""
    default = Balls()
    out = {"name": b.name}
    for f in dataclasses.fields(Balls):
        if f.name in _BALL_SKIP or f.name == "name":
            continue
        v = getattr(b, f.name)
        if f.name == "n" and (b.same_start_as is not None or b.start == "points"):
            continue                      # copied from the other group, or the points' count
        if v != getattr(default, f.name):
            out[f.name] = v
    if b.start == "points":
        out["points"] = [(float(a), float(c)) for a, c in np.asarray(b.points).reshape(-1, 2)]
    return out


def scene_source(scene: Scene, class_name: str = "Playground", doc: str | None = None) -> str:
    """Python source of a scene file that constructs what ``scene`` (constructed) holds."""
    if not class_name.isidentifier():
        raise ValueError(f"{class_name!r} is not a Python class name")
    lines = ['"""A scene written by landscape\'s playground."""', "",
             "from landscape.pipeline import LandscapeConfig  # noqa: F401",
             "from landscape.scene import Orbit, Roll, Scene", "", "",
             f"class {class_name}(Scene):",
             f"    {_literal(doc or scene.summary() or 'A scene from the playground.')}", "",
             f"    seed = {int(scene.seed)}",
             f"    camera = {scene.camera!r}", "",
             "    def construct(self):"]
    body = []
    for land in scene.landscapes:
        i = land.index
        kw = {"title": land.title, "panel": land.panel}
        if land.log_scale is not None:
            kw["log_scale"] = land.log_scale
        if land.scale is not None:
            kw["scale"] = land.scale
        if land.timelapse is not None:
            kw.update(kind=land.timelapse["kind"], n_checkpoints=land.timelapse["n_checkpoints"])
            call = "timelapse"
        else:
            if land.mode != "slice":
                kw["mode"] = land.mode
            call = "landscape"
        kw.update(config_fields(land.config, seed=scene.seed))
        body.append(f"l{i} = self.{call}({_kwargs(kw)})")
        for j, b in enumerate(land.groups):
            extra = ""
            if b.same_start_as is not None:
                si, sj = b.same_start_as.where
                extra = f", same_start_as=g{si}_{sj}"
            body.append(f"g{i}_{j} = l{i}.balls({_kwargs(ball_fields(b))}{extra})")
    caption = None
    for seg in scene.segments:
        if seg.caption != caption:
            body.append(f"self.caption({seg.caption!r})")
            caption = seg.caption
        if seg.camera is not None:
            body.append(f"self.set_camera({seg.camera!r})")
        anims = [f"Roll(steps={int(n)}, landscapes=(l{li},))" for li, n in sorted(seg.rolls.items())]
        if seg.orbit:
            anims.append(f"Orbit(degrees={float(seg.orbit)!r})")
        if anims:
            body.append(f"self.play({', '.join(anims)}, run_time={float(seg.run_time)!r})")
        else:
            body.append(f"self.wait({float(seg.run_time)!r})")
    lines += [f"        {line}" for line in body] or ["        pass"]
    return "\n".join(lines) + "\n"
