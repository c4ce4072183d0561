"""Figures for papers and slides, drawn with matplotlib's object-oriented API."""

from landscape.figures._plot import COLUMN as COLUMN
from landscape.figures._plot import FORMATS as FORMATS
from landscape.figures._plot import KINDS as KINDS
from landscape.figures._plot import plot as plot

__all__ = ['COLUMN', 'FORMATS', 'KINDS', 'plot']
