"""Balls: groups of SGD runs on a surface, their state, the compiled step, the gradients they measure, the census of minima and the trajectory they leave."""

from landscape.balls._census import census as census
from landscape.balls._census import census_of as census_of
from landscape.balls._census import census_on_grid as census_on_grid
from landscape.balls._groups import N_BALLS as N_BALLS
from landscape.balls._groups import OPTIMIZER_OPTIONS as OPTIMIZER_OPTIONS
from landscape.balls._groups import START_HELP as START_HELP
from landscape.balls._groups import BallGroup as BallGroup
from landscape.balls._groups import check_steps as check_steps
from landscape.balls._groups import group_start_points as group_start_points
from landscape.balls._groups import start_points as start_points
from landscape.balls._simulator import Simulator as Simulator
from landscape.balls._simulator import simulate as simulate
from landscape.balls._stacked import stacked_consts as stacked_consts
from landscape.balls._stacked import stacked_measure as stacked_measure
from landscape.balls._trajectory import FORMAT as FORMAT
from landscape.balls._trajectory import MODES as MODES
from landscape.balls._trajectory import Frame as Frame
from landscape.balls._trajectory import Trajectory as Trajectory

__all__ = ['BallGroup', 'FORMAT', 'Frame', 'MODES', 'N_BALLS', 'OPTIMIZER_OPTIONS', 'START_HELP', 'Simulator', 'Trajectory', 'census', 'census_of', 'census_on_grid', 'check_steps', 'group_start_points', 'simulate', 'stacked_consts', 'stacked_measure', 'start_points']
