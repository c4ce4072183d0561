"""Print the measured figures behind the story scenes (issue 9); docs/DEVELOPING.md ("Story")
quotes them. Numbers, not timings, except where marked; seed 0 unless said.

    python benchmarks/story_figures.py            # all sections, a few minutes on 2 cores
    python benchmarks/story_figures.py planes     # one section: planes balls flow saturation
                                                  # change transfer chain timelapse
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from landscape.pipeline import (
    LandscapeConfig,
    build_surface,
    plane_from_surface,
    task_from_surface,
)

DEEP = dict(widths=(32,) * 10, train_steps=0, grid=15)
NETS = (("sigmoid N(0,1)", dict(activation="sigmoid", init="normal")),
        ("sigmoid Xavier", dict(activation="sigmoid", init="xavier")),
        ("ReLU He", dict(activation="relu", init="he")))


def matmul_peak() -> float:
    a = jnp.ones((2048, 2048), jnp.float32)
    f = jax.jit(lambda x: x @ x)
    f(a).block_until_ready()
    best = 0.0
    for _ in range(5):
        t = time.perf_counter()
        f(a).block_until_ready()
        best = max(best, 2 * 2048 ** 3 / (time.perf_counter() - t))
    return best / 1e9


def planes():
    print("## loss range (max − min) on each layer's plane, 15×15, span 1, untrained 10×32")
    for name, kw in NETS:
        for norm in ("filter", "absolute"):
            r = [float(np.ptp(build_surface(LandscapeConfig(**DEEP, **kw, norm=norm,
                                                            layers=(l,)))[0].loss))
                 for l in range(11)]
            print(f"{name:15s} {norm:8s} " + " ".join(f"{v:.2g}" for v in r)
                  + f"   last/first {r[-1] / r[0]:.3g}  max/min {max(r) / min(r):.3g}")


def balls():
    from landscape.balls import BallGroup, simulate

    print("## 50 SGD balls (lr 0.05, batch 256, 150 steps) on layer planes of the 10×32 net")
    for name, kw in NETS[::2]:
        for layer in (0, 5, 10):
            s, _ = build_surface(LandscapeConfig(**DEEP, **kw, layers=(layer,)))
            tr = simulate(task_from_surface(s), plane_from_surface(s), s,
                          [BallGroup(n=50, optimizer="sgd", lr=0.05, batch_size=256)],
                          steps=150, record_every=150, key=jax.random.key(1))
            disp = np.linalg.norm(tr.positions[-1] - tr.positions[0], axis=-1)
            print(f"{name:15s} layer {layer:2d}: range {np.ptp(s.loss):.3g}, mean loss "
                  f"{tr.heights[0].mean():.3f} -> {tr.heights[-1].mean():.3f}, mean distance "
                  f"{disp.mean():.3g} (span 1), settled {int(tr.settled[-1].sum())}/50")


def flow_():
    from landscape import measures as flow
    from landscape.measures import layer_gradient_norms

    print("## full-batch gradient norm ratios to the output layer, at init")
    for name, kw in NETS + (("tanh Xavier×3 8×32", dict(widths=(32,) * 8, activation="tanh",
                                                          init="xavier", init_scale=3.0)),):
        t = LandscapeConfig(**{**DEEP, **kw}).build_task()
        gw, _ = layer_gradient_norms(t, t.theta)
        print(f"{name:20s} " + " ".join(f"{v:.2g}" for v in flow.ratios(gw))
              + f"   verdict {flow.verdict(gw)}")


def saturation():
    from landscape.measures import activation_stats

    print("## saturated fraction (act′ < 0.1·max) and dead units per hidden layer, at init")
    for name, kw in NETS + (("tanh N(0,1)", dict(activation="tanh", init="normal")),):
        st = activation_stats(LandscapeConfig(**DEEP, **kw).build_task())
        print(f"{name:15s} saturated " + " ".join(f"{v:.2f}" for v in st.saturated)
              + f" (mean {st.saturated.mean():.3f}); dead max {st.dead.max():.2f}")


def change():
    from landscape.pipeline import relative_change

    print("## relative weight change ‖W_l(T) − W_l(0)‖/‖W_l(0)‖ after training the 10×32 net")
    for opt, lr in (("sgd", 0.1), ("adam", 1e-3)):
        for name, kw in NETS[::2]:
            t = LandscapeConfig(**{**DEEP, **kw, "train_steps": 300, "train_optimizer": opt,
                                   "train_lr": lr}).build_task()
            rc = relative_change(t.model.layout, t.theta0, t.theta)[0]
            print(f"{opt} lr {lr:g} 300 steps, {name:15s} first {rc[0]:.3g}, middle {rc[5]:.3g},"
                  f" last {rc[-1]:.3g}; loss {t.evaluate()[0]:.3f}")


def transfer():
    from landscape.balls import BallGroup, simulate

    print("## transfer: CNN 8,16 trained on digits 0–4 (Adam, 500 steps), reused for 5–9")
    src = LandscapeConfig(model="cnn", widths=(8, 16), classes=(0, 1, 2, 3, 4), train_steps=500)
    base = LandscapeConfig(model="cnn", widths=(8, 16), classes=(5, 6, 7, 8, 9),
                           train_optimizer="sgd", train_lr=0.05, train_batch=64, grid=21)
    cases = {"scratch": base, "fine-tuned": base.replace(pretrain=src, transfer_layers=2),
             "frozen": base.replace(pretrain=src, transfer_layers=2, freeze=True)}
    for steps in (10, 30, 100):
        row = {k: np.mean([c.replace(train_steps=steps, seed=s).build_task().evaluate()[0]
                           for s in range(3)]) for k, c in cases.items()}
        print(f"training {steps:3d} SGD steps, mean of 3 seeds: "
              + ", ".join(f"{k} {v:.3f}" for k, v in row.items()))
    for k, c in cases.items():
        s, _ = build_surface(c.replace(train_steps=0))
        tr = simulate(task_from_surface(s), plane_from_surface(s), s,
                      [BallGroup(n=50, optimizer="sgd", lr=0.05, batch_size=64)], steps=100,
                      record_every=100, key=jax.random.key(1))
        print(f"slice-mode balls on the start plane, {k}: {tr.heights[0].mean():.3f} -> "
              f"{tr.heights[-1].mean():.3f}")


def chain():
    from landscape.measures import chain_rule

    print("## chain of single sigmoid neurons (widths 1,1,1; moons): product vs autodiff")
    for seed in range(3):
        t = LandscapeConfig(dataset="moons", widths=(1, 1, 1), activation="sigmoid",
                            init="normal", output="sigmoid", train_steps=0, seed=seed).build_task()
        c = chain_rule(t.model, t.theta, t.data.x_eval, t.data.y_eval)
        f = t.loss_fn()
        g = jax.grad(lambda th: f(th, t.data.x_eval, t.data.y_eval)[0])(jnp.asarray(t.theta))
        b1 = float(g[t.model.layout.get("dense_0", "b").offset])
        print(f"seed {seed}: ∂C/∂b1 product {c.grad_b1:.6g}, autodiff {b1:.6g}; mean factors "
              + " ".join(f"{v:.3f}" for v in c.factors.mean(0)))


def timelapse():
    from landscape.pipeline import compute_timelapse

    print("## timelapse, 10×32 nets, 300 SGD steps lr 0.1, 6 checkpoints, 15×15 (seconds: "
          "loaded machine)")
    for name, kw in NETS[::2]:
        t = LandscapeConfig(**{**DEEP, **kw, "train_steps": 300, "train_optimizer": "sgd",
                               "train_lr": 0.1}).build_task()
        for kind in ("pca", "riding"):
            t0 = time.perf_counter()
            tl = compute_timelapse(t, kind, n_checkpoints=6, resolution=15)
            print(f"{name:15s} {kind:6s} {time.perf_counter() - t0:5.1f} s; loss "
                  + " ".join(f"{v:.3f}" for v in tl.loss) + "; off-plane "
                  + " ".join(f"{v:.2f}" for v in tl.off_plane) + "; |θ_t − θ*| "
                  + " ".join(f"{v:.2f}" for v in tl.path_length))


SECTIONS = {"planes": planes, "balls": balls, "flow": flow_, "saturation": saturation,
            "change": change, "transfer": transfer, "chain": chain, "timelapse": timelapse}

if __name__ == "__main__":
    os.environ.setdefault("LANDSCAPE_CACHE", "/tmp/landscape-story-figures")
    print(f"float32 matmul peak in this run: {matmul_peak():.0f} GFLOP/s")
    for name in sys.argv[1:] or SECTIONS:
        SECTIONS[name]()
