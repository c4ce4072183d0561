"""Export a landscape for others: an interactive offline web page, 3D files, and the data behind them."""

from landscape.exports._content import check_pair as check_pair
from landscape.exports._export import FORMATS as FORMATS
from landscape.exports._export import export as export
from landscape.exports._export import kind_of as kind_of

__all__ = ['FORMATS', 'check_pair', 'export', 'kind_of']
