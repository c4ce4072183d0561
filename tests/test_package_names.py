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
