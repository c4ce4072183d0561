"""The CLI's ball defaults are the ball group's (one set of defaults, read from the class)."""

from landscape.balls import BallGroup
from landscape.cli._main import build_parser


def test_simulate_defaults_are_the_ball_groups():
    args = build_parser().parse_args(["simulate"])
    d = BallGroup()
    assert args.balls == d.n_balls
    assert args.optimizer == [d.optimizer] and args.lr == [d.lr]
    assert args.batch_size == d.batch_size and args.start == d.start


def test_a_scenes_balls_take_the_groups_defaults():
    """One set of defaults: a scene's `Balls` left at its defaults is `BallGroup()` (its name
    aside, which a scene derives from the optimizer and rate)."""
    import dataclasses

    from landscape.scene._scene import Balls

    b, g = Balls(), BallGroup()
    shared = [f.name for f in dataclasses.fields(BallGroup) if hasattr(b, f.name)]
    assert {"optimizer", "lr", "batch_size", "start", "n", "clip_norm", "momentum"} <= set(shared)
    for name in shared:
        if name not in ("name", "n"):
            assert getattr(b, name) == getattr(g, name), name
    assert b.n == g.n_balls == 100
    assert b.group() == dataclasses.replace(g, name=b.name, n=b.n)
