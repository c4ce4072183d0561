"""Ball dynamics: gradients against finite differences and independent loops, optimizers
against optax by hand, faults, determinism, compilation count, bad input, and the CLI."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from landscape import nets, planes, surface, training
from landscape.balls._groups import OPTIMIZERS
from landscape.balls._simulator import BallGroup, Simulator, simulate
from landscape.balls._trajectory import Trajectory
from landscape.errors import LandscapeError
from landscape.measures._gradients import layer_gradient_norms

from synthetic import two_weight_world


@pytest.fixture(scope="module")
def world(mlp_task):
    plane = planes.random_plane(mlp_task, key=jax.random.key(1))
    surf = surface.compute_surface(mlp_task, plane, span=1.0, resolution=9, progress=False)
    return mlp_task, plane, surf


_LOSS = {}


def _loss_at(task, plane, ab):
    """The full-data loss at θ* + a·d1 + b·d2, computed independently of the dynamics."""
    if id(task) not in _LOSS:
        _LOSS[id(task)] = jax.jit(task.loss_fn())
    th = np.asarray(task.theta, np.float64) + ab[0] * plane.d1 + ab[1] * plane.d2
    return float(_LOSS[id(task)](jnp.asarray(th, jnp.float32), task.data.x_eval,
                                 task.data.y_eval)[0])


# ---------------------------------------------------------------- gradients

def test_full_batch_gradient_equals_central_finite_differences(world):
    task, plane, surf = world
    pts = np.array([[0.3, -0.2], [-0.5, 0.4]], np.float32)
    sim = Simulator(task, plane, surf, [BallGroup(optimizer="sgd", lr=0.05, batch_size=None,
                                                  start="points", points=pts)], key=0)
    g_sim = np.concatenate([g.g for g in jax.device_get(sim.state.groups)])
    h = 1e-3
    for p, g in zip(pts, g_sim):
        fd = [(_loss_at(task, plane, p + h * e) - _loss_at(task, plane, p - h * e)) / (2 * h)
              for e in np.eye(2)]
        np.testing.assert_allclose(g, fd, rtol=2e-2, atol=2e-4)
    # the first full-batch SGD step moves by exactly -lr × that gradient
    f1 = sim.advance(1)
    np.testing.assert_allclose(f1.positions, pts - 0.05 * g_sim, rtol=1e-5, atol=1e-6)


def test_simulator_norms_equal_full_batch_layer_norms(world):
    task, plane, surf = world
    p = np.array([0.2, 0.1], np.float32)
    sim = Simulator(task, plane, surf, [BallGroup(batch_size=None, start="points", points=[p])],
                    key=0)
    st = jax.device_get(sim.state.groups[0])
    w, b = layer_gradient_norms(task, task.theta + p[0] * plane.d1 + p[1] * plane.d2)
    np.testing.assert_allclose(st.gw[0], w, rtol=1e-4)
    np.testing.assert_allclose(st.gb[0], b, rtol=1e-4)
    assert sim.layers == ["dense_0", "dense_1", "dense_2"]
    # after a chunk of steps (norms are skipped inside it), the frame's norms are current
    fr = sim.advance(4)
    q = fr.positions[0].astype(np.float64)
    w, b = layer_gradient_norms(task, task.theta + q[0] * plane.d1 + q[1] * plane.d2)
    np.testing.assert_allclose(fr.grad_norms[0], w, rtol=1e-3)
    assert not np.allclose(fr.grad_norms[0], st.gw[0], rtol=1e-3)


# ---------------------------------------------------------------- optimizers

class _QuadTask(training.Task):
    """Loss 0.5·mean_i ‖θ − x_i‖²: convex, minimum at the data mean."""

    def loss_fn(self):
        def f(theta, x, y):
            l = 0.5 * jnp.mean(jnp.sum((theta[None, :] - x) ** 2, 1))
            return l, -l
        return f


@pytest.fixture(scope="module")
def quad():
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(200, 2)) + [0.3, -0.2]).astype(np.float32)
    task, plane, surf = two_weight_world(
        _QuadTask, x, lambda a, b: 0.5 * jnp.mean((a - x[:, 0]) ** 2 + (b - x[:, 1]) ** 2),
        "quad")
    return task, plane, surf, x.mean(0)


def test_convex_quadratic_balls_converge_to_the_minimum_and_census_finds_it(quad):
    task, plane, surf, xbar = quad
    groups = [BallGroup(name="gd", lr=0.2, batch_size=None, n=12, start="ring"),
              BallGroup(name="mom", optimizer="momentum", lr=0.05, batch_size=None, n=12,
                        start="grid"),
              BallGroup(name="sgd", lr=0.05, batch_size=50, n=12)]
    traj = simulate(task, plane, surf, groups, steps=300, record_every=100, key=1,
                    settle_tol=1e-3)
    last = traj.positions[-1]
    full = traj.group < 2
    np.testing.assert_allclose(last[full], np.broadcast_to(xbar, last[full].shape), atol=1e-3)
    # minibatch SGD wanders around the minimum, at the scale of its noise
    assert np.abs(last[~full] - xbar).max() < 0.1
    assert np.abs(traj.positions[0] - xbar).max() > 0.5                   # they did move
    assert traj.settled[-1][full].all()
    c = traj.census
    assert c and c[0]["by_group"]["gd"] == 12 and c[0]["by_group"]["mom"] == 12
    np.testing.assert_allclose(c[0]["position"], xbar, atol=2e-2)
    assert sum(m["n_balls"] for m in c) == traj.settled[-1].sum()
    # ls.census: the simulator's own list at the last frame, the frame's census elsewhere
    import landscape as ls

    assert ls.census(traj, surf) == c
    assert ls.census(traj, surf, frame=1) == traj.frame(1, surf).census
    # a linking radius as wide as the plane joins every resting place into one minimum
    wide = ls.census(traj, surf, radius=10.0, barrier=1e9)
    assert len(wide) == 1 and wide[0]["n_balls"] == traj.settled[-1].sum()


def test_each_optimizer_path_equals_optax_by_hand(world):
    task, plane, surf = world
    pts = [(0.4, -0.3), (-0.2, 0.5)]
    groups = [BallGroup(name=o, optimizer=o, lr=0.05, batch_size=None, start="points",
                        points=pts) for o in OPTIMIZERS]
    groups.append(BallGroup(name="tuned", optimizer="adam", lr=0.05, b1=0.5, b2=0.9, eps=1e-3,
                            batch_size=None, start="points", points=pts))
    # chunks of 2: the first step of each runs without per-layer norms, the second with them
    traj = simulate(task, plane, surf, groups, steps=6, record_every=2, key=0)

    f = task.loss_fn()
    th, d1, d2 = (jnp.asarray(v) for v in (task.theta, plane.d1, plane.d2))
    x, y = jnp.asarray(task.data.x_eval), jnp.asarray(task.data.y_eval)
    grad = jax.jit(jax.grad(lambda ab: f(th + ab[0] * d1 + ab[1] * d2, x, y)[0]))
    for gi, g in enumerate(groups):
        tx = g.transform("slice")
        for j, p in enumerate(pts):
            ab = jnp.asarray(p, jnp.float32)
            state = tx.init(ab)
            path = [np.asarray(ab)]
            for _ in range(6):
                upd, state = tx.update(grad(ab), state, ab)
                ab = optax.apply_updates(ab, upd)
                path.append(np.asarray(ab))
            ball = np.flatnonzero(traj.group == gi)[j]
            np.testing.assert_allclose(traj.positions[:, ball], np.array(path)[::2], rtol=1e-4,
                                       atol=2e-6, err_msg=g.name)


def test_huge_learning_rate_escapes_without_nan(world):
    task, plane, surf = world
    traj = simulate(task, plane, surf, [BallGroup(lr=1e5, n=8)], steps=5, key=0)
    assert traj.escaped[-1].all()
    assert np.isfinite(traj.positions).all() and np.isfinite(traj.heights).all()
    # frozen at their last finite position once escaped
    for t in range(1, traj.n_frames):
        was = traj.escaped[t - 1]
        np.testing.assert_array_equal(traj.positions[t, was], traj.positions[t - 1, was])
    lo_a, hi_a, lo_b, hi_b = traj.meta["bounds"]
    assert (traj.positions[..., 0] >= lo_a).all() and (traj.positions[..., 0] <= hi_a).all()
    assert traj.summary()["groups"][0]["escaped"] == 8


# ---------------------------------------------------------------- gradient norms

_DEEP = {}


def _norms_at_init(small_digits, act, init, seed):
    if act not in _DEEP:            # one model per activation: its gradient compiles once
        _DEEP[act] = nets.mlp((32,) * 5, n_in=64, n_out=10, activation=act, init=init)
    m = _DEEP[act]
    th = np.asarray(m.init(key=jax.random.key(seed)))
    return layer_gradient_norms(training.task_from_params(m, small_digits, th), th)[0]


@pytest.mark.parametrize("seed", [0, 1])
def test_deep_sigmoid_normal_init_vanishes_toward_input_he_relu_stays_balanced(small_digits, seed):
    w = _norms_at_init(small_digits, "sigmoid", "normal", seed)
    assert np.all(np.diff(w) > 0), w                 # shrinking layer by layer toward the input
    assert w[0] < w[-1] / 5, w
    w = _norms_at_init(small_digits, "relu", "he", seed)
    assert w.max() / w.min() < 4, w


# ---------------------------------------------------------------- determinism, compilation

def test_same_key_identical_trajectories_other_key_differs(world):
    task, plane, surf = world
    g = [BallGroup(n=6, batch_size=16), BallGroup(name="a", optimizer="adam", lr=0.02, n=3,
                                                  start="ring")]
    t1 = simulate(task, plane, surf, g, steps=5, key=7)
    t2 = simulate(task, plane, surf, g, steps=5, key=7)
    t3 = simulate(task, plane, surf, g, steps=5, key=8)
    np.testing.assert_array_equal(t1.positions, t2.positions)
    np.testing.assert_array_equal(t1.batch_loss, t2.batch_loss)
    np.testing.assert_array_equal(t1.grad_norms, t2.grad_norms)
    assert not np.array_equal(t1.positions, t3.positions)


def test_second_chunk_does_not_recompile_and_add_balls_reset(world):
    task, plane, surf = world
    sim = Simulator(task, plane, surf, [BallGroup(n=4, lr=0.0123, batch_size=16)], key=0)
    f1 = sim.advance(3)
    n = sim.compilations
    f2 = sim.advance(3)
    assert sim.compilations == n == 1
    assert f2.step == 6 and not np.array_equal(f1.positions, f2.positions)
    sim.advance(2)
    assert sim.compilations == 2                      # a new chunk length compiles once
    sim.advance(2)
    assert sim.compilations == 2
    # a ball added mid-run appears at its point, with the next index
    before = sim.snapshot()
    sim.add_balls([[0.25, -0.5]], group=0)
    fr = sim.snapshot()
    assert fr.positions.shape == (5, 2) and list(sim.group) == [0] * 5
    np.testing.assert_allclose(fr.positions[4], [0.25, -0.5])
    np.testing.assert_array_equal(fr.positions[:4], before.positions)
    np.testing.assert_array_equal(fr.batch_loss[:4], before.batch_loss)
    sim.reset()
    assert sim.snapshot().step == 0 and sim.n_balls == 4


# ---------------------------------------------------------------- projected mode

def test_projected_mode_records_off_plane_and_true_loss(world, tmp_path):
    task, plane, surf = world
    pts = [(0.3, 0.2), (-0.4, 0.1)]
    traj = simulate(task, plane, surf, [BallGroup(lr=0.05, start="points", points=pts),
                                        BallGroup(name="fresh", n=2, origin="init")],
                    steps=4, mode="projected", key=0)
    assert traj.mode == "projected"
    np.testing.assert_allclose(traj.positions[0, :2], pts, atol=1e-5)
    assert traj.off_plane[0, :2].max() < 1e-3 and traj.off_plane[-1, :2].min() > 0
    assert traj.off_plane[0, 2:].min() > 1.0                       # fresh inits are off-plane
    np.testing.assert_allclose(traj.true_loss[0, 0], _loss_at(task, plane, np.array(pts[0])),
                               rtol=1e-4)
    # the shown position is the least-squares projection of the weights
    assert np.isfinite(traj.heights).all() and np.isfinite(traj.true_loss).all()
    path = traj.save(str(tmp_path / "p.npz"))
    back = Trajectory.load(path)
    assert back.mode == "projected"
    np.testing.assert_array_equal(back.off_plane, traj.off_plane)


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("kw, msg", [
    ({"optimizer": "sgdd"}, "sgd, momentum, nesterov, adam, rmsprop, adagrad"),
    ({"lr": 0.0}, "learning rate"), ({"lr": -1.0}, "learning rate"),
    ({"lr": float("nan")}, "learning rate"), ({"lr": float("inf")}, "learning rate"),
    ({"batch_size": 10_000}, "larger than the data"), ({"n": 0}, "at least one ball"),
    ({"start": "points", "points": []}, "at least one"), ({"clip_norm": -1.0}, "clip norm"),
    ({"start": "spiral"}, "uniform, disc, ring, grid, center, points"),
    ({"momentum": 0.5}, "momentum applies to momentum, nesterov, not to sgd"),
    ({"optimizer": "adam", "momentum": 0.5}, "not to adam"),
    ({"b1": 0.5}, "b1 applies to adam"), ({"decay": 0.5, "optimizer": "adam"}, "rmsprop"),
    ({"start": "points", "points": [[0, 0]], "n": 3}, "drop n"),
    ({"start": "points", "points": [[0, 0]], "radius": 0.5}, "radius does not apply"),
    ({"start": "ring", "points": [[0, 0]]}, "points apply only"),
    ({"origin": "init"}, "projected mode only"),
])
def test_bad_group_settings_raise(world, kw, msg):
    task, plane, surf = world
    with pytest.raises(LandscapeError, match=msg):
        Simulator(task, plane, surf, [BallGroup(**kw)], key=0)


def test_bad_steps_and_groups_raise(world):
    task, plane, surf = world
    with pytest.raises(LandscapeError, match="at least 1"):
        simulate(task, plane, surf, [BallGroup(n=2)], steps=0, key=0)
    with pytest.raises(LandscapeError, match="no ball groups"):
        Simulator(task, plane, surf, [], key=0)
    with pytest.raises(LandscapeError, match="mode"):
        Simulator(task, plane, surf, [BallGroup(n=2)], mode="tilted", key=0)


# ---------------------------------------------------------------- CLI

TINY = ["--widths", "8", "--train-steps", "10", "--grid", "5", "--dataset", "moons",
        "--samples", "64"]


def test_cli_simulate_and_gradients_json(tmp_path, capsys):
    from landscape.cli._main import main

    out = tmp_path / "t.npz"
    assert main(["simulate", *TINY, "--balls", "5", "--steps", "4", "--batch-size", "16",
                 "--optimizer", "momentum", "--json", "-o", str(out)]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["n_balls"] == 5 and s["steps"] == 4 and s["mode"] == "slice"
    t = Trajectory.load(str(out))
    assert t.positions.shape == (5, 5, 2) and np.isfinite(t.heights).all()
    assert main(["gradients", *TINY, "--seeds", "2", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["layers"] == ["dense_0", "dense_1"]
    assert len(r["at_init"]) == len(r["at_minimum"]) == 2 and all(v > 0 for v in r["at_init"])


@pytest.mark.parametrize("args, msg", [
    (["--optimizer", "adamw"], "adagrad"), (["--lr", "0"], "learning rate"),
    (["--lr", "nan"], "learning rate"), (["--batch-size", "65"], "larger than the data"),
    (["--balls", "0"], "at least 1"), (["--steps", "0"], "at least 1"),
    (["--mode", "flat"], "slice, projected"),
])
def test_cli_simulate_bad_input_exits_2_writes_nothing(tmp_path, capsys, args, msg):
    from landscape.cli._main import main

    out = tmp_path / "t.npz"
    assert main(["simulate", *TINY, *args, "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and msg in err, err
    assert not out.exists() and list(tmp_path.iterdir()) == []


_SHARD_SCRIPT = """
import json, jax, numpy as np
from landscape import data, nets, planes, surface, training
from landscape.balls._simulator import BallGroup, Simulator
d = data.moons(64, seed=0)
m = nets.mlp((8,), n_in=2, n_out=2, activation="tanh", init="xavier")
task = training.task_from_params(m, d, m.init(key=jax.random.key(0)))
plane = planes.random_plane(task, key=jax.random.key(1))
s = surface.compute_surface(task, plane, span=1.0, resolution=5, progress=False)
out = []
for devs in (jax.devices()[:1], jax.devices()):
    # 3 balls over 2 devices: one inert pad ball makes the split even
    sim = Simulator(task, plane, s, [BallGroup(optimizer="adam", n=3, lr=0.05, batch_size=8)],
                    key=0, devices=devs)
    f = sim.advance(3)
    out.append(np.concatenate([f.positions.ravel(), f.grad_norms.ravel(), f.batch_loss]))
print(json.dumps({"n_devices": len(jax.devices()), "n_balls": int(sim.n_balls),
                  "diff": float(np.abs(out[0] - out[1]).max())}))
"""


def test_balls_split_over_two_devices_give_the_same_paths():
    import os
    import subprocess
    import sys

    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2",
               JAX_PLATFORMS="cpu")
    r = subprocess.run([sys.executable, "-c", _SHARD_SCRIPT], env=env, capture_output=True,
                       text=True, check=True)
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res["n_devices"] == 2 and res["n_balls"] == 3
    assert res["diff"] < 1e-5, res


def test_group_norm_stats_against_a_loop():
    from landscape.balls._simulator import group_norm_stats

    rng = np.random.default_rng(0)
    gnorm = rng.random((3, 7, 4))
    group = np.array([0, 1, 0, 1, 1, 0, 0])
    esc = rng.random((3, 7)) < 0.3
    st = group_norm_stats(gnorm, group, 3, escaped=esc)
    for t in range(3):
        for g in range(2):
            m = (group == g) & ~esc[t]
            np.testing.assert_allclose(st["mean"][g, t], gnorm[t, m].mean(0), rtol=1e-6)
            np.testing.assert_allclose(st["min"][g, t], gnorm[t, m].min(0), rtol=1e-6)
            np.testing.assert_allclose(st["max"][g, t], gnorm[t, m].max(0), rtol=1e-6)
            assert st["n"][g, t] == m.sum()
    assert np.isnan(st["mean"][2]).all() and (st["n"][2] == 0).all()


def test_cli_simulate_several_optimizers_race_from_the_same_points(tmp_path, capsys):
    from landscape.cli._main import main

    out = tmp_path / "t.npz"
    code = main(["simulate", "--dataset", "moons", "--samples", "128", "--widths", "8",
                 "--train-steps", "20", "--grid", "5", "--balls", "6", "--steps", "3",
                 "--optimizer", "sgd,adam", "--lr", "0.1,0.01", "-q", "--json", "-o", str(out)])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [(g["optimizer"], g["lr"], g["n_balls"]) for g in summary["groups"]] == \
        [("sgd", 0.1, 6), ("adam", 0.01, 6)]
    traj = Trajectory.load(str(out))
    np.testing.assert_array_equal(traj.positions[0, :6], traj.positions[0, 6:])
    code = main(["simulate", "--optimizer", "sgd,adam", "--lr", "0.1,0.2,0.3", "-q"])
    err = capsys.readouterr().err
    assert code == 2 and "--lr has 3 values for 2 optimizers" in err


def test_views_of_one_network_share_a_program_and_keep_their_own_bounds(world):
    """A scene's second view of the same network reuses the first one's compiled step loop
    (another task object, another plane, another span): its run equals a freshly compiled
    one bit for bit, escapes by its own bounds and settles by its own tolerances."""
    import copy

    from landscape.balls import _stepper as stepper

    task, plane, surf = world
    other = copy.copy(task)
    plane2 = planes.random_plane(other, key=jax.random.key(5))
    small = surface.compute_surface(other, plane2, span=0.15, resolution=5, progress=False)
    g = [BallGroup(n=12, optimizer="sgd", lr=30.0, batch_size=32)]
    first = Simulator(task, plane, surf, g, key=3)
    first.advance(4)
    second = Simulator(other, plane2, small, g, key=4)
    assert second._prog is first._prog and first.stacked
    shared = second.run(30)
    stepper.SHARED.clear()
    alone = Simulator(other, plane2, small, g, key=4)
    assert alone._prog is not first._prog
    fresh = alone.run(30)
    for k in ("positions", "escaped", "settled", "grad_norms", "batch_loss"):
        np.testing.assert_array_equal(getattr(shared, k), getattr(fresh, k))
    # its own bounds: ±(0.15 + half the extent) — balls left the small span, none past it
    a0, a1, b0, b1 = second.bounds
    assert shared.escaped[-1].any() and a1 < 0.5
    live = ~shared.escaped[-1]
    assert (np.abs(shared.positions[-1][live]) <= a1 + 1e-6).all()


def test_a_new_learning_rate_reuses_the_program_and_equals_a_fresh_compile(world):
    """The rate is an argument of the compiled step (the playground's rate knob rolls the
    balls again without compiling): a simulator at another rate shares the program, runs
    exactly as one compiled for that rate alone, and not as the old rate did."""
    from landscape.balls import _stepper as stepper

    task, plane, surf = world
    slow = Simulator(task, plane, surf, [BallGroup(n=8, optimizer="momentum", lr=0.05,
                                                   batch_size=32)], key=2)
    a = slow.run(12)
    traces = slow._prog.traces
    fast = Simulator(task, plane, surf, [BallGroup(n=8, optimizer="momentum", lr=0.4,
                                                   batch_size=32)], key=2)
    assert fast._prog is slow._prog
    b = fast.run(12)
    assert fast._prog.traces == traces, "a new rate compiled the step again"
    assert not np.allclose(a.positions[-1], b.positions[-1]), "the rate did not apply"
    stepper.SHARED.clear()
    stepper.PROGRAMS.clear()
    alone = Simulator(task, plane, surf, [BallGroup(n=8, optimizer="momentum", lr=0.4,
                                                    batch_size=32)], key=2)
    assert alone._prog is not slow._prog
    np.testing.assert_array_equal(alone.run(12).positions, b.positions)
