"""The CLI's ball defaults are the ball group's (one set of defaults, read from the class)."""

from landscape.balls import BallGroup
from landscape.cli._main import build_parser


def test_simulate_defaults_are_the_ball_groups():
    args = build_parser().parse_args(["simulate"])
    d = BallGroup()
    assert args.balls == d.n_balls
    assert args.optimizer == [d.optimizer] and args.lr == [d.lr]
    assert args.batch_size == d.batch_size and args.start == d.start
