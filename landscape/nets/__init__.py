"""Networks on one flat parameter vector θ: its layout, the built-in networks, losses, and adapters for Flax, Equinox and any JAX apply function."""

from landscape.nets._adapters import from_apply_fn as from_apply_fn
from landscape.nets._adapters import from_equinox as from_equinox
from landscape.nets._adapters import from_flax as from_flax
from landscape.nets._adapters import from_nnx as from_nnx
from landscape.nets._blocks import ACTIVATIONS as ACTIVATIONS
from landscape.nets._blocks import BN_EPS as BN_EPS
from landscape.nets._builtin import build as build
from landscape.nets._cnn import cnn as cnn
from landscape.nets._layers import layer_mask as layer_mask
from landscape.nets._layers import resolve_layers as resolve_layers
from landscape.nets._layers import weight_layers as weight_layers
from landscape.nets._layout import Layout as Layout
from landscape.nets._losses import loss_and_accuracy as loss_and_accuracy
from landscape.nets._losses import sample_losses as sample_losses
from landscape.nets._mlp import mlp as mlp
from landscape.nets._model import Model as Model
from landscape.nets._norms import combined_norm as combined_norm
from landscape.nets._norms import layer_segments as layer_segments
from landscape.nets._norms import scaled_norm as scaled_norm
from landscape.nets._norms import segment_norms as segment_norms
from landscape.nets._transformer import NORM_POSITIONS as NORM_POSITIONS
from landscape.nets._transformer import layer_norm as layer_norm
from landscape.nets._transformer import transformer as transformer

__all__ = ['ACTIVATIONS', 'BN_EPS', 'Layout', 'Model', 'NORM_POSITIONS', 'build', 'cnn', 'combined_norm', 'from_apply_fn', 'from_equinox', 'from_flax', 'from_nnx', 'layer_mask', 'layer_norm', 'layer_segments', 'loss_and_accuracy', 'mlp', 'resolve_layers', 'sample_losses', 'scaled_norm', 'segment_norms', 'transformer', 'weight_layers']
