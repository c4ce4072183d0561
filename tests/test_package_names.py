"""Every name the package exports stays what it is after every submodule is imported: a
submodule named like an exported function (``landscape.compute`` vs ``ls.compute``) would
replace the function on the package the moment anything imports it."""

import importlib
import pkgutil

import landscape


def test_no_submodule_shadows_an_exported_name():
    names = {m.name for m in pkgutil.iter_modules(landscape.__path__)}
    exported = dict(landscape._EXPORTS)
    clash = [n for n in names if n in exported and exported[n][1] is not None]
    assert not clash, f"submodules named like exported objects: {clash}"
    for n in names:
        importlib.import_module(f"landscape.{n}")
    for n, (mod, attr) in exported.items():
        if attr is not None:
            obj = getattr(importlib.import_module(mod), attr)
            assert getattr(landscape, n) is obj, n


def test_every_export_resolves_and_the_verbs_are_functions():
    for n, (mod, attr) in landscape._EXPORTS.items():
        obj = getattr(landscape, n)
        want = importlib.import_module(mod)
        assert obj is (want if attr is None else getattr(want, attr)), n
    assert set(landscape._EXPORTS) <= set(dir(landscape))
    from landscape import measures, training

    assert landscape.train is landscape.fit is training.train
    assert landscape.line is measures.line and landscape.connect is measures.fit_bend
    for verb in ("train", "line", "connect", "sharpness", "build_surface", "compute_surface",
                 "load_scene", "build_scene", "compute"):
        assert callable(getattr(landscape, verb)) and not isinstance(getattr(landscape, verb), type)


def test_build_surface_result_has_named_fields_and_still_unpacks():
    from landscape.pipeline import BuiltSurface

    s = object()
    r = BuiltSurface(s, {"cached": True})
    assert r.surface is s and r.timings == {"cached": True}
    surface, timings = r
    assert surface is s and timings is r.timings
