"""The ``landscape`` command line: `main`, and one module per command (``_surface``, ``_render``, ...)."""

from landscape.cli._main import configure_devices as configure_devices
from landscape.cli._main import main as main

__all__ = ["configure_devices", "main"]
