"""``landscape`` command line: ``landscape surface|simulate|gradients|render|show|play|list|export|plot|cache ...``.

Each subcommand lives in ``landscape/cli/_<name>.py`` and exposes ``register(subparsers)``,
which adds its parser and sets ``func``. Errors a user can cause (`LandscapeError`) print one
line ``landscape: error: ...`` and exit with status 2; Ctrl-C exits with 130. SIGTERM (a job
scheduler, ``kill``, ``timeout``) is Ctrl-C by another name: it raises `Terminated` (a
`KeyboardInterrupt`) where the program is, so temporary files are removed and a surface job
keeps its completed blocks for the next run; ``landscape: terminated`` and status 143
(128 + 15, as 130 is 128 + SIGINT's 2).
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
import warnings

COMMANDS = ("surface", "line", "connect", "sharpness", "simulate", "gradients", "render", "show",
            "play", "list", "export", "plot", "cache")


def configure_devices() -> None:
    """On a CPU-only host, expose one JAX device per core so the surface grid is split across
    them (measured ~1.2–1.4× on 2 cores). Must run before JAX starts; respects XLA_FLAGS."""
    if "jax" in sys.modules:
        return
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_force_host_platform_device_count" not in flags:
        n = min(os.cpu_count() or 1, 8)
        if n > 1:
            os.environ["XLA_FLAGS"] = (flags + f" --xla_force_host_platform_device_count={n}").strip()


def enable_compile_cache() -> None:
    """JAX's persistent compilation cache, in the landscape cache directory, capped like the
    cache (`landscape.pipeline.cache_limit`): JAX then evicts its least recently used programs
    itself and serializes its reads and writes with a lock (``xla/.lockfile``). JAX warns (a
    two-line ``UserWarning``) for each compiled program it cannot write there (a full or
    read-only cache) or read back (an entry truncated by a full disk); those become the one
    ``could not write the cache`` line (`landscape.files.cache_warning`) and a one-line note.

    ``JAX_COMPILATION_CACHE_DIR``, JAX's own variable, when set, puts the programs there
    instead (one folder shared by several caches or tools, as the test suite does): that folder
    is then JAX's to manage (``JAX_COMPILATION_CACHE_MAX_SIZE``), outside `landscape cache`."""
    import jax

    from landscape.pipeline import cache_dir, cache_limit, prepare_compile_cache

    limit = cache_limit()[0]  # a bad LANDSCAPE_CACHE_MAX: one line, before any work
    shared = os.environ.get("JAX_COMPILATION_CACHE_DIR", "").strip()
    xla = shared or os.path.join(cache_dir(), "xla")
    try:
        jax.config.update("jax_compilation_cache_dir", xla)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
        if not shared:
            jax.config.update("jax_compilation_cache_max_size", -1 if limit is None else limit)
    except Exception:  # an older/newer JAX without these options: just compile
        return
    if limit is not None and not shared:
        prepare_compile_cache(xla)
        # a program larger than the whole cap is simply not kept
        warnings.filterwarnings("ignore", message="Cache value for key .* exceeds the maximum")
    quiet_compile_cache_warnings()


def quiet_compile_cache_warnings() -> None:
    """Route JAX's persistent-cache write and read warnings to one line each per process."""
    from landscape.files import cache_warning

    if getattr(warnings.showwarning, "_landscape", False):
        return
    shown = warnings.showwarning
    read_noted = []

    def show(message, category, filename, lineno, file=None, line=None):
        text = str(message)
        unusable = "Errno" in text   # the folder itself: full, read-only, cannot be made
        if text.startswith("Error writing persistent compilation cache entry") or (
                unusable and text.startswith("Error reading persistent compilation cache")):
            reason = text.split(": ", 1)[-1]   # e.g. OSError: [Errno 28] No space left on device
            from landscape.pipeline import cache_dir

            cache_warning(None, f"{os.path.join(cache_dir(), 'xla')}: compiled programs: "
                                f"{reason}")
            return
        if text.startswith("Error reading persistent compilation cache entry"):
            if not read_noted:
                read_noted.append(True)
                print("landscape: note: a compiled program in the cache could not be read "
                      "(truncated?); compiling it again", file=sys.stderr)
            return
        shown(message, category, filename, lineno, file, line)

    show._landscape = True
    warnings.showwarning = show


class Parser(argparse.ArgumentParser):
    """argparse, with its usage errors in the one-line form every other user error takes
    (``landscape: error: ...``, exit status 2)."""

    def error(self, message):
        cmd = self.prog.split(" ", 1)[1] + ": " if " " in self.prog else ""
        self.exit(2, f"landscape: error: {cmd}{message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    from landscape import __version__

    p = Parser(
        prog="landscape",
        description="Loss landscapes of real networks, with SGD balls rolling on them.")
    p.add_argument("--version", action="version", version=f"landscape {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        try:
            mod = importlib.import_module(f"landscape.cli._{name}")
        except ModuleNotFoundError as e:
            if e.name == f"landscape.cli._{name}":
                continue  # not built yet
            raise
        mod.register(sub)
    return p


def main(argv=None) -> int:
    # SIGTERM as Ctrl-C (see the module docstring); only the main thread may set handlers
    from landscape import errors

    on_main = threading.current_thread() is threading.main_thread()
    errors.SIGNALLED.clear()
    previous = {s: signal.signal(s, errors.on_signal)
                for s in (signal.SIGTERM, signal.SIGINT)} if on_main else {}
    hook, sys.unraisablehook = sys.unraisablehook, errors.quiet_unraisable
    try:
        return _main(argv)
    finally:
        sys.unraisablehook = hook
        for s, handler in previous.items():
            signal.signal(s, handler)


def _main(argv) -> int:
    configure_devices()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:   # --help, --version, or a usage error already printed in one line
        return e.code if isinstance(e.code, int) else 2
    from landscape.errors import LandscapeError, Terminated, raise_if_signalled

    try:
        if args.command != "cache":  # looking at the cache needs no JAX
            enable_compile_cache()
        status = int(args.func(args) or 0)
        raise_if_signalled()   # a signal whose exception a library swallowed still counts
        return status
    except LandscapeError as e:
        print(f"landscape: error: {e}", file=sys.stderr)
        return 2
    except Terminated:
        print("landscape: terminated", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("landscape: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `landscape ... --json | head`: the reader left; not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
