"""From a description to results: `LandscapeConfig`, the cache, transfer learning and timelapses."""

from landscape.pipeline._build import BuiltSurface as BuiltSurface
from landscape.pipeline._build import build_surface as build_surface
from landscape.pipeline._cache import DEFAULT_LIMIT as DEFAULT_LIMIT
from landscape.pipeline._cache import ENTRY_KINDS as ENTRY_KINDS
from landscape.pipeline._cache import CacheEntry as CacheEntry
from landscape.pipeline._cache import CacheScan as CacheScan
from landscape.pipeline._cache import Removal as Removal
from landscape.pipeline._cache import cache_dir as cache_dir
from landscape.pipeline._cache import cache_limit as cache_limit
from landscape.pipeline._cache import clear_cache as clear_cache
from landscape.pipeline._cache import enforce_limit as enforce_limit
from landscape.pipeline._cache import human_size as human_size
from landscape.pipeline._cache import parse_size as parse_size
from landscape.pipeline._cache import prepare_compile_cache as prepare_compile_cache
from landscape.pipeline._cache import scan_cache as scan_cache
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

__all__ = ['DEFAULT_LIMIT', 'ENTRY_KINDS', 'KINDS', 'BuiltSurface', 'CacheEntry', 'CacheScan', 'LandscapeConfig', 'Removal', 'Timelapse', 'build_surface', 'build_timelapse', 'cache_dir', 'cache_limit', 'checkpoint_position', 'clear_cache', 'compute_timelapse', 'enforce_limit', 'human_size', 'parse_size', 'plane_from_surface', 'prepare_compile_cache', 'relative_change', 'scan_cache', 'surface_at', 'task_from_surface', 'timelapse_trajectory']
