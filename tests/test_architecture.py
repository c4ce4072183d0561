"""The package's shape, as docs/ARCHITECTURE.md states it, checked from the source: no import
cycles between modules, only `landscape.render` imports PyVista or VTK, a subpackage's
private modules are imported only from inside it (everything else goes through its public
``__init__``), and no private name crosses a module boundary."""

from __future__ import annotations

import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG = os.path.join(ROOT, "landscape")
VTK = ("pyvista", "vtk", "vtkmodules")

# Cycles still to be broken; none are left (issue 18), and none may come back.
KNOWN_CYCLES: set[frozenset] = set()

# VTK users outside render/ still to be moved (issue 18); this list only ever shrinks.
KNOWN_VTK: set[str] = set()


def modules() -> dict[str, str]:
    out = {}
    for dp, _, fn in os.walk(PKG):
        for f in fn:
            if f.endswith(".py"):
                p = os.path.join(dp, f)
                m = os.path.relpath(p, ROOT)[:-3].replace(os.sep, ".")
                out[m.removesuffix(".__init__")] = p
    return out


MODULES = modules()


def imports(path: str):
    """``(module imported, names imported from it, line)`` for every import in ``path``
    (inside functions too: a lazy import is still a dependency)."""
    tree = ast.parse(open(path).read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, (), node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            subs = [f"{node.module}.{a.name}" for a in node.names]
            for s in subs:
                if s in MODULES:
                    yield s, (), node.lineno
            names = tuple(a.name for a, s in zip(node.names, subs) if s not in MODULES)
            if names:
                yield node.module, names, node.lineno


def top(module: str) -> str:
    """``landscape.balls._census`` → ``balls``; ``landscape.training`` → ``training``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def graph() -> dict[str, set[str]]:
    g: dict[str, set[str]] = {m: set() for m in MODULES}
    for m, p in MODULES.items():
        for target, _, _ in imports(p):
            if target in MODULES and target != m and target != "landscape":
                g[m].add(target)
    return g


def strongly_connected(g):
    """Tarjan's components of size > 1."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in g[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(frozenset(comp))

    for v in g:
        if v not in index:
            visit(v)
    return out


def test_no_new_import_cycles():
    found = set(strongly_connected(graph()))
    new = found - KNOWN_CYCLES
    assert not new, f"import cycles: {[sorted(c) for c in new]}"
    fixed = KNOWN_CYCLES - found
    assert not fixed, f"cycles gone, drop them from KNOWN_CYCLES: {[sorted(c) for c in fixed]}"


def test_only_render_imports_vtk():
    users = {m for m, p in MODULES.items() if top(m) != "render"
             for target, _, _ in imports(p) if target.split(".")[0] in VTK}
    assert not users - KNOWN_VTK, f"PyVista/VTK imported outside landscape.render: {users - KNOWN_VTK}"
    assert not KNOWN_VTK - users, f"drop from KNOWN_VTK: {KNOWN_VTK - users}"


def test_private_modules_stay_inside_their_package():
    bad = []
    for m, p in MODULES.items():
        for target, _, line in imports(p):
            parts = target.split(".")
            if parts[0] != "landscape":
                continue
            private = [i for i, s in enumerate(parts) if s.startswith("_")]
            if private and top(target) != top(m):
                bad.append(f"{m}:{line} imports {target}")
    assert not bad, "import these through the package's public names:\n" + "\n".join(bad)


def test_no_private_name_crosses_a_module():
    bad = [f"{m}:{line} imports {n} from {target}" for m, p in MODULES.items()
           for target, names, line in imports(p) if target.startswith("landscape")
           for n in names if n.startswith("_") and not n.startswith("__")]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("pkg", sorted({top(m) for m in MODULES if "." in m and
                                        os.path.basename(MODULES[m]) == "__init__.py"}))
def test_every_public_name_is_listed(pkg):
    """A subpackage's ``__all__`` names exactly what its ``__init__`` re-exports."""
    import importlib

    mod = importlib.import_module(f"landscape.{pkg}")
    assert hasattr(mod, "__all__"), f"landscape.{pkg} has no __all__"
    for n in mod.__all__:
        assert hasattr(mod, n), f"landscape.{pkg}.__all__ lists {n}, which it does not define"


# The matplotlib figures, the web page and glTF draw from landscape.picture; only the VTK mesh
# formats reach landscape.render (lazily, in the one function that writes them).
RENDER_FREE = ("picture", "figures", "exports")
RENDER_ALLOWED = {"landscape.exports._meshfiles"}


def test_picture_figures_and_exports_do_not_import_render():
    bad = sorted(f"{m}:{line} imports {target}" for m, p in MODULES.items()
                 if top(m) in RENDER_FREE and m not in RENDER_ALLOWED
                 for target, _, line in imports(p)
                 if target == "landscape.render" or target.startswith("landscape.render."))
    assert not bad, "\n".join(bad)
