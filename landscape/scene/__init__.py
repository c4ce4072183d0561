"""Scenes: the Scene API, loading scene files, computing a scene's plan, and the notebook face."""

from landscape.scene._compute import Computed as Computed
from landscape.scene._compute import Run as Run
from landscape.scene._compute import compute_scene as compute_scene
from landscape.scene._compute import title as title
from landscape.scene._director import build_stage as build_stage
from landscape.scene._director import render as render
from landscape.scene._director import restage as restage
from landscape.scene._director import show as show
from landscape.scene._director import still as still
from landscape.scene._director import warm_up as warm_up
from landscape.scene._loader import build_scene as build_scene
from landscape.scene._loader import load_scenes as load_scenes
from landscape.scene._loader import pick_scene as pick_scene
from landscape.scene._loader import snake as snake
from landscape.scene._notebook import ComputedScene as ComputedScene
from landscape.scene._notebook import Still as Still
from landscape.scene._notebook import Video as Video
from landscape.scene._notebook import compute as compute
from landscape.scene._notebook import load_scene as load_scene
from landscape.scene._scene import Balls as Balls
from landscape.scene._scene import Landscape as Landscape
from landscape.scene._scene import Orbit as Orbit
from landscape.scene._scene import Roll as Roll
from landscape.scene._scene import Scene as Scene
from landscape.scene._scene import config_title as config_title
from landscape.scene._scene import get_quality as get_quality
from landscape.scene._timeline import FrameSpec as FrameSpec
from landscape.scene._timeline import timeline as timeline

__all__ = ['Balls', 'Computed', 'ComputedScene', 'FrameSpec', 'Landscape', 'Orbit', 'Roll', 'Run', 'Scene', 'Still', 'Video', 'build_scene', 'build_stage', 'compute', 'config_title', 'compute_scene', 'get_quality', 'load_scene', 'load_scenes', 'pick_scene', 'render', 'restage', 'show', 'snake', 'still', 'timeline', 'title', 'warm_up']
