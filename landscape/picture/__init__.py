"""What every picture shares and needs no VTK: the height scale, quality presets, themes, palettes and camera presets."""

from landscape.picture._quality import QUALITIES as QUALITIES
from landscape.picture._quality import Quality as Quality
from landscape.picture._quality import get_quality as get_quality
from landscape.picture._scale import HeightScale as HeightScale
from landscape.picture._scale import format_loss as format_loss
from landscape.picture._scale import loss_ticks as loss_ticks
from landscape.picture._scale import make_scale as make_scale
from landscape.picture._scale import shared_loss_range as shared_loss_range
from landscape.picture._scale import view_ranges as view_ranges

__all__ = ['HeightScale', 'QUALITIES', 'Quality', 'format_loss', 'get_quality', 'loss_ticks', 'make_scale', 'shared_loss_range', 'view_ranges']
