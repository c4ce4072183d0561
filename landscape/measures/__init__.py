"""What is measured on a network: gradient flow, per-layer gradient reports, saturation, first-layer features, the chain rule, lines, mode connectivity and sharpness."""

from landscape.measures._chain import chain_rule as chain_rule
from landscape.measures._chain import chain_view as chain_view
from landscape.measures._connect import check_same_shape as check_same_shape
from landscape.measures._connect import compare as compare
from landscape.measures._connect import fit_bend as fit_bend
from landscape.measures._features import first_layer_features as first_layer_features
from landscape.measures._flow import EXPLODING as EXPLODING
from landscape.measures._flow import FADING as FADING
from landscape.measures._flow import GROWING as GROWING
from landscape.measures._flow import VANISHING as VANISHING
from landscape.measures._flow import classify as classify
from landscape.measures._flow import ratios as ratios
from landscape.measures._flow import verdict as verdict
from landscape.measures._gradients import gradient_report as gradient_report
from landscape.measures._gradients import layer_gradient_norms as layer_gradient_norms
from landscape.measures._line import line as line
from landscape.measures._saturation import activation_stats as activation_stats
from landscape.measures._sharpness import Sharpness as Sharpness
from landscape.measures._sharpness import sharpness as sharpness

__all__ = ['EXPLODING', 'FADING', 'GROWING', 'Sharpness', 'VANISHING', 'activation_stats', 'chain_rule', 'chain_view', 'check_same_shape', 'classify', 'compare', 'first_layer_features', 'fit_bend', 'gradient_report', 'layer_gradient_norms', 'line', 'ratios', 'sharpness', 'verdict']
