"""What every picture shares and needs no VTK: the height scale, quality presets, themes,
palettes, the honest-colour rule of gradient bars, the legend's and census' words, camera presets and output formats by
extension."""

from landscape.picture._camera import CAMERAS as CAMERAS
from landscape.picture._formats import EXPORT_FORMATS as EXPORT_FORMATS
from landscape.picture._formats import FIGURE_FORMATS as FIGURE_FORMATS
from landscape.picture._formats import VIDEO_FORMATS as VIDEO_FORMATS
from landscape.picture._formats import VTK_FORMATS as VTK_FORMATS
from landscape.picture._formats import extension as extension
from landscape.picture._formats import format_from_extension as format_from_extension
from landscape.picture._limits import F32_EPS as F32_EPS
from landscape.picture._limits import F32_SQRT_MAX as F32_SQRT_MAX
from landscape.picture._limits import GradientLimits as GradientLimits
from landscape.picture._limits import gradient_bars as gradient_bars
from landscape.picture._limits import gradient_status as gradient_status
from landscape.picture._limits import plane_span as plane_span
from landscape.picture._limits import theta_norm as theta_norm
from landscape.picture._marks import census_label as census_label
from landscape.picture._marks import census_more as census_more
from landscape.picture._marks import depth_colors as depth_colors
from landscape.picture._marks import format_lr as format_lr
from landscape.picture._marks import format_mean_loss as format_mean_loss
from landscape.picture._marks import legend_parts as legend_parts
from landscape.picture._marks import legend_settings as legend_settings
from landscape.picture._marks import limits_key as limits_key
from landscape.picture._marks import pin_top as pin_top
from landscape.picture._marks import short_number as short_number
from landscape.picture._quality import QUALITIES as QUALITIES
from landscape.picture._quality import Quality as Quality
from landscape.picture._quality import get_quality as get_quality
from landscape.picture._scale import HeightScale as HeightScale
from landscape.picture._scale import format_loss as format_loss
from landscape.picture._scale import loss_ticks as loss_ticks
from landscape.picture._scale import make_scale as make_scale
from landscape.picture._scale import shared_loss_range as shared_loss_range
from landscape.picture._scale import view_ranges as view_ranges
from landscape.picture._theme import CONTOUR as CONTOUR
from landscape.picture._theme import GROUP_PALETTE as GROUP_PALETTE
from landscape.picture._theme import GROUP_PALETTE_LIGHT as GROUP_PALETTE_LIGHT
from landscape.picture._theme import NONFINITE as NONFINITE
from landscape.picture._theme import SURFACE_CMAP as SURFACE_CMAP
from landscape.picture._theme import THEMES as THEMES
from landscape.picture._theme import THETA_STAR as THETA_STAR
from landscape.picture._theme import UNDEFINED as UNDEFINED
from landscape.picture._theme import Theme as Theme
from landscape.picture._theme import get_theme as get_theme
from landscape.picture._theme import group_colors as group_colors
from landscape.picture._theme import group_rgb as group_rgb
from landscape.picture._theme import hex_rgb as hex_rgb
from landscape.picture._theme import rgba_u8 as rgba_u8

__all__ = ['CAMERAS', 'CONTOUR', 'EXPORT_FORMATS', 'F32_EPS', 'F32_SQRT_MAX', 'FIGURE_FORMATS',
           'GROUP_PALETTE', 'GROUP_PALETTE_LIGHT', 'GradientLimits', 'HeightScale', 'NONFINITE', 'QUALITIES', 'Quality',
           'SURFACE_CMAP', 'THEMES', 'THETA_STAR', 'Theme', 'UNDEFINED', 'VIDEO_FORMATS',
           'VTK_FORMATS', 'census_label', 'census_more', 'depth_colors', 'extension', 'format_from_extension',
           'format_loss', 'format_lr', 'format_mean_loss', 'get_quality',
           'get_theme', 'gradient_bars', 'gradient_status', 'group_colors', 'group_rgb', 'hex_rgb', 'legend_parts', 'legend_settings', 'limits_key', 'loss_ticks', 'make_scale',
           'pin_top', 'plane_span', 'rgba_u8', 'shared_loss_range', 'short_number', 'theta_norm', 'view_ranges']
