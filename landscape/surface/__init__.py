"""The loss surface: the grid engine, resumable jobs, interpolation on the grid, and the surface file."""

from landscape.surface._compute import compute_surface as compute_surface
from landscape.surface._compute import compute_surfaces as compute_surfaces
from landscape.surface._compute import grid as grid
from landscape.surface._compute import point_fn as point_fn
from landscape.surface._compute import surface_from_fn as surface_from_fn
from landscape.surface._engine import Evaluator as Evaluator
from landscape.surface._engine import run_blocks as run_blocks
from landscape.surface._engine import split_eval as split_eval
from landscape.surface._interp import bilinear as bilinear
from landscape.surface._interp import plateau_height as plateau_height
from landscape.surface._surface import FORMAT as FORMAT
from landscape.surface._surface import Surface as Surface

__all__ = ['Evaluator', 'FORMAT', 'Surface', 'bilinear', 'compute_surface', 'compute_surfaces', 'grid', 'plateau_height', 'point_fn', 'run_blocks', 'split_eval', 'surface_from_fn']
