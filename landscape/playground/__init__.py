"""The playground: a scene you steer, knob by knob (`Playground`), and a constructed scene
written back as a scene file (`scene_source`)."""

from landscape.playground._knobs import CONTROLS as CONTROLS
from landscape.playground._knobs import KEYS as KEYS
from landscape.playground._knobs import LABELS as LABELS
from landscape.playground._live import Live as Live
from landscape.playground._session import BALL_KNOBS as BALL_KNOBS
from landscape.playground._session import KNOBS as KNOBS
from landscape.playground._session import NETWORK_KNOBS as NETWORK_KNOBS
from landscape.playground._session import VIEW_KNOBS as VIEW_KNOBS
from landscape.playground._session import Playground as Playground
from landscape.playground._source import scene_source as scene_source

__all__ = ['BALL_KNOBS', 'CONTROLS', 'KEYS', 'KNOBS', 'LABELS', 'Live', 'NETWORK_KNOBS', 'Playground', 'VIEW_KNOBS', 'scene_source']
