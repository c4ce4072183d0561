"""From a description to results: `LandscapeConfig`, the cache, transfer learning and timelapses."""

from landscape.pipeline._build import BuiltSurface as BuiltSurface
from landscape.pipeline._build import build_surface as build_surface
from landscape.pipeline._build import cache_dir as cache_dir
from landscape.pipeline._config import LandscapeConfig as LandscapeConfig
from landscape.pipeline._restore import plane_from_surface as plane_from_surface
from landscape.pipeline._restore import task_from_surface as task_from_surface
from landscape.pipeline._timelapse import KINDS as KINDS
from landscape.pipeline._timelapse import Timelapse as Timelapse
from landscape.pipeline._timelapse import build_timelapse as build_timelapse
from landscape.pipeline._timelapse import checkpoint_position as checkpoint_position
from landscape.pipeline._timelapse import compute_timelapse as compute_timelapse
from landscape.pipeline._timelapse import relative_change as relative_change
from landscape.pipeline._timelapse import surface_at as surface_at
from landscape.pipeline._timelapse import timelapse_trajectory as timelapse_trajectory

__all__ = ['KINDS', 'BuiltSurface', 'LandscapeConfig', 'Timelapse', 'build_surface', 'build_timelapse', 'cache_dir', 'checkpoint_position', 'compute_timelapse', 'plane_from_surface', 'relative_change', 'surface_at', 'task_from_surface', 'timelapse_trajectory']
