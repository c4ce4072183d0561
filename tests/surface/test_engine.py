"""The grid engine: batched accumulation equals the one-shot loss, one compiled job for many
planes equals separate runs, bounded memory on a 60,000-sample set, and resumable jobs (SIGKILL
part-way, a foreign job folder, two processes) finishing bit for bit like an uninterrupted run."""

import json
import os
import signal
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from landscape import nets, planes, training
from landscape.errors import LandscapeError
from landscape.surface._compute import compute_surface, compute_surfaces
from landscape.surface._engine import Evaluator, plan_batches


def one_shot(task, theta):
    l, a = task.loss_fn()(jnp.asarray(theta), task.data.x_eval, task.data.y_eval)
    return float(l), float(a)


@pytest.mark.parametrize("eval_batch", [1, 7, 64, 400])
def test_batched_accumulation_equals_one_shot(mlp_task, eval_batch):
    pl = planes.random_plane(mlp_task, key=jax.random.key(3))
    s = compute_surface(mlp_task, pl, span=0.7, resolution=3, eval_batch=eval_batch, progress=False)
    assert s.meta["eval_batch"] == eval_batch
    for i, j in [(0, 0), (1, 1), (2, 1)]:
        l, a = one_shot(mlp_task, mlp_task.theta + s.alphas[i] * pl.d1 + s.betas[j] * pl.d2)
        np.testing.assert_allclose(s.loss[i, j], l, rtol=3e-6 if eval_batch > 1 else 2e-5)
        np.testing.assert_allclose(s.accuracy[i, j], a, rtol=1e-6)


def test_batched_accumulation_with_bn_eval_and_sigmoid_and_cnn(bn_task, small_digits):
    pl = planes.random_plane(bn_task, key=jax.random.key(1))
    bn_task.bn_policy = "eval"
    s = compute_surface(bn_task, pl, span=0.5, resolution=3, eval_batch=33, progress=False)
    l, _ = one_shot(bn_task, bn_task.theta + s.alphas[2] * pl.d1 + s.betas[0] * pl.d2)
    np.testing.assert_allclose(s.loss[2, 0], l, rtol=1e-5)
    m = nets.cnn((4, 6), image_shape=(8, 8))
    t = training.train(m, small_digits, steps=5, key=jax.random.key(0))
    p = planes.random_plane(t, key=jax.random.key(2))
    s = compute_surface(t, p, span=0.5, resolution=3, eval_batch=50, progress=False)
    l, _ = one_shot(t, t.theta + s.alphas[0] * p.d1 + s.betas[2] * p.d2)
    np.testing.assert_allclose(s.loss[0, 2], l, rtol=1e-5)


def test_batch_policy_cannot_be_split_and_huge_batch_is_an_error(bn_task, mlp_task):
    bn_task.bn_policy = "batch"
    pl = planes.random_plane(bn_task, key=jax.random.key(1))
    with pytest.raises(LandscapeError, match="whole evaluation set"):
        compute_surface(bn_task, pl, resolution=3, eval_batch=100)
    bn_task.bn_policy = "eval"
    with pytest.raises(LandscapeError, match="GiB is free; use a smaller --eval-batch"):
        plan_batches(mlp_task.model, 10**12, (10**6,), n_points_per_device=8, batch_size=None,
                     eval_batch=10**12, bn_policy="eval")


def test_many_planes_in_one_job_equal_separate_runs(mlp_task):
    theta = mlp_task.checkpoints  # one plane per training checkpoint, as a time-lapse needs
    plane_list = [planes.random_plane(mlp_task, key=jax.random.key(k)) for k in range(3)]
    items = [(theta[k * 5], plane_list[k]) for k in range(3)]
    together = compute_surfaces(mlp_task, items, span=0.8, resolution=7, block=16, progress=False)
    for (th, pl), s in zip(items, together):
        mlp_task_k = training.Task(model=mlp_task.model, data=mlp_task.data, theta=th, theta0=th, bn_stats=[], bn_policy="eval",
                                   checkpoints=th[None], checkpoint_steps=np.zeros(1, int),
                                   train_loss=np.zeros(0, np.float32), config={})
        alone = compute_surface(mlp_task_k, pl, span=0.8, resolution=7, block=16, progress=False)
        np.testing.assert_array_equal(s.loss, alone.loss)
        np.testing.assert_array_equal(s.accuracy, alone.accuracy)
        np.testing.assert_array_equal(s.theta, th)
        np.testing.assert_allclose(s.loss[3, 3], one_shot(mlp_task, th)[0], rtol=1e-5)


def test_evaluator_compiles_once_for_many_planes(mlp_task):
    ev = Evaluator(mlp_task.model, mlp_task.data.x_eval, mlp_task.data.y_eval, n_points=16,
                   block=16)
    ab = np.zeros((ev.block_points, 2), np.float32)
    d = np.zeros_like(mlp_task.theta)
    ev.block(ab, mlp_task.theta, d, d)
    n_compiled = ev.run._cache_size()
    for th in mlp_task.checkpoints[:4]:
        out = ev.block(ab, th, d, d)
        np.testing.assert_allclose(out[0, 0], one_shot(mlp_task, th)[0], rtol=1e-5)
    assert ev.run._cache_size() == n_compiled  # θ, d1, d2 are arguments: no recompilation
    again = Evaluator(mlp_task.model, mlp_task.data.x_eval, mlp_task.data.y_eval, n_points=16,
                      block=16)
    assert again.run is ev.run  # a later surface of the same model reuses the program


_BIG = r"""
import sys, json
import jax, jax.numpy as jnp, numpy as np
from landscape import data, nets, planes, training
from landscape.surface import compute_surface
kind = sys.argv[1]
rng = np.random.default_rng(0)
if kind == "mlp":
    n, shape = 60000, (784,)
    m = nets.mlp((256, 256), n_in=784, n_out=10, activation="relu")
else:
    n, shape = 10000, (32, 32, 3)
    def apply_fn(p, x):
        x = x.reshape(-1, 32, 32, 3)
        dn = ("NHWC", "HWIO", "NHWC")
        h = jax.nn.relu(jax.lax.conv_general_dilated(x, p["c1"]["w"], (2, 2), "SAME", dimension_numbers=dn))
        h = jax.nn.relu(jax.lax.conv_general_dilated(h, p["c2"]["w"], (2, 2), "SAME", dimension_numbers=dn))
        return h.reshape(h.shape[0], -1) @ p["d"]["w"]
    k = jax.random.split(jax.random.key(0), 3)
    params = {"c1": {"w": jax.random.normal(k[0], (3, 3, 3, 16)) * 0.2},
              "c2": {"w": jax.random.normal(k[1], (3, 3, 16, 32)) * 0.08},
              "d": {"w": jax.random.normal(k[2], (8 * 8 * 32, 10)) * 0.02}}
    m = nets.from_apply_fn(apply_fn, params, np.zeros((1, 3072), np.float32))
x = rng.standard_normal((n,) + shape, dtype=np.float32).reshape(n, -1)
y = rng.integers(0, 10, n).astype(np.int32)
d = data.Dataset("synthetic", x, y, x, y, 10)
task = training.task_from_params(m, d, m.init(key=jax.random.key(1)))
pl = planes.random_plane(task, key=jax.random.key(2))
s = compute_surface(task, pl, span=0.5, resolution=3, progress=False)
# VmHWM, not ru_maxrss: ru_maxrss keeps the pytest parent's size across fork and exec
rss = [int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
l, a = task.loss_fn()(jnp.asarray(task.theta), x, y)  # the unbatched loss, after the peak was read
print(json.dumps({"rss_mib": rss, "center": float(s.loss[1, 1]), "one_shot": float(l),
                  "eval_batch": s.meta["eval_batch"], "n": n}))
"""


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_large_evaluation_set_in_bounded_memory(kind):
    """60,000 × 784 through a 784-256-256-10 MLP, and 10,000 32×32×3 images through a small CNN:
    peak RSS of the whole process under 2 GiB, and the batched loss equals the one-shot one."""
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    r = subprocess.run([sys.executable, "-c", _BIG, kind], capture_output=True, text=True,
                       env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res["rss_mib"] < 2048, res
    assert res["eval_batch"] < res["n"]  # it really was evaluated in batches
    np.testing.assert_allclose(res["center"], res["one_shot"], rtol=1e-5)


_RESUME = r"""
import json, os, signal, sys
import numpy as np
from landscape.pipeline import LandscapeConfig
from landscape.surface import compute_surface
job, kill_after, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
cfg = LandscapeConfig(dataset="moons", n_samples=200, widths=(16, 16), train_steps=30)
task = cfg.build_task()
plane = cfg.build_plane(task)
def cb(st):
    if kill_after and st["computed"] >= kill_after:
        os.kill(os.getpid(), signal.SIGKILL)
s = compute_surface(task, plane, resolution=41, block=128, job_dir=job or None, keep_job=True,
                    callback=cb, log=print, progress=False)
np.save(out, np.stack([s.loss, s.accuracy]))
print(json.dumps(s.meta["resume"]))
"""


def _run(script, *args, n_dev=2, check=True):
    env = dict(os.environ, JAX_PLATFORMS="cpu",
               XLA_FLAGS=f"--xla_force_host_platform_device_count={n_dev}")
    r = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True,
                       text=True, env=env, timeout=600)
    if check:
        assert r.returncode == 0, r.stderr[-3000:]
    return r


def test_sigkill_resume_computes_only_missing_blocks_bit_for_bit(tmp_path):
    job = tmp_path / "job"
    killed = _run(_RESUME, job, 3, tmp_path / "never.npy", check=False)
    assert killed.returncode == -signal.SIGKILL
    blocks = sorted(p.name for p in job.iterdir() if p.name.startswith("block-"))
    assert len(blocks) == 3 and not list(job.glob(".*"))  # whole blocks only, no temporaries
    resumed = _run(_RESUME, job, 0, tmp_path / "resumed.npy")
    counts = json.loads(resumed.stdout.strip().splitlines()[-1])
    assert counts["reused"] == 3 and counts["computed"] == counts["blocks"] - 3 > 0
    assert "resuming" in resumed.stdout and "3 of" in resumed.stdout
    _run(_RESUME, "", 0, tmp_path / "plain.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "resumed.npy"), np.load(tmp_path / "plain.npy"))


def test_foreign_job_folder_is_reported_and_recomputed(tmp_path, mlp_task):
    job = tmp_path / "job"
    pl = planes.random_plane(mlp_task, key=jax.random.key(3))
    ref = compute_surface(mlp_task, pl, resolution=9, block=16, progress=False)
    job.mkdir()
    (job / "job.json").write_text(json.dumps({"format": "landscape.job/1", "hash": "other"}))
    np.save(job / "block-000000.npy", np.full((ref.meta["block"], 2), 7.0, np.float32))
    lines = []
    s = compute_surface(mlp_task, pl, resolution=9, block=16, job_dir=str(job), log=lines.append,
                        keep_job=True, progress=False)
    assert any("different job" in line and "recomputing" in line for line in lines), lines
    assert s.meta["resume"]["reused"] == 0
    np.testing.assert_array_equal(s.loss, ref.loss)
    assert json.loads((job / "job.json").read_text())["hash"] != "other"
    # the same job again: everything is reused, nothing computed, same numbers
    s2 = compute_surface(mlp_task, pl, resolution=9, block=16, job_dir=str(job), progress=False)
    assert s2.meta["resume"]["computed"] == 0 and s2.meta["resume"]["reused"] == s2.meta["resume"]["blocks"]
    np.testing.assert_array_equal(s2.loss, ref.loss)
    assert not job.exists()  # removed once done (keep_job=False)


def test_an_altered_job_file_is_a_foreign_job(tmp_path, mlp_task):
    """job.json edited to claim another job's hash (its checksum now stale): the blocks in the
    folder are not reused; without the checksum they would be, and the surface would be job A's."""
    a_dir, b_dir = tmp_path / "a", tmp_path / "b"
    pa = planes.random_plane(mlp_task, key=jax.random.key(3))
    pb = planes.random_plane(mlp_task, key=jax.random.key(4))
    ref_b = compute_surface(mlp_task, pb, resolution=9, block=16, job_dir=str(b_dir),
                            keep_job=True, progress=False)
    compute_surface(mlp_task, pa, resolution=9, block=16, job_dir=str(a_dir), keep_job=True,
                    progress=False)
    info = json.loads((a_dir / "job.json").read_text())
    info["hash"] = json.loads((b_dir / "job.json").read_text())["hash"]
    (a_dir / "job.json").write_text(json.dumps(info))
    lines = []
    s = compute_surface(mlp_task, pb, resolution=9, block=16, job_dir=str(a_dir),
                        log=lines.append, progress=False)
    assert any("different job" in line for line in lines), lines
    assert s.meta["resume"]["reused"] == 0
    np.testing.assert_array_equal(s.loss, ref_b.loss)


_MULTI_RESUME = r"""
import json, sys, jax, numpy as np
pid, port, job, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
jax.config.update("jax_cpu_collectives_implementation", "gloo")
jax.distributed.initialize(coordinator_address=f"127.0.0.1:{port}", num_processes=2, process_id=pid)
from landscape.pipeline import LandscapeConfig
from landscape.surface import compute_surface
cfg = LandscapeConfig(dataset="moons", n_samples=200, widths=(16, 16), train_steps=30)
task = cfg.build_task()
plane = cfg.build_plane(task)
s = compute_surface(task, plane, resolution=41, block=128, job_dir=job, keep_job=True, progress=False)
np.save(out, np.stack([s.loss, s.accuracy]))
print(json.dumps(s.meta["resume"]))
"""


def test_two_processes_resume_a_killed_job(tmp_path):
    """A job killed on one host (2 devices) resumed by two `jax.distributed` processes (1 device
    each): both agree on the missing blocks, and both return the uninterrupted surface."""
    import socket

    job = tmp_path / "job"
    assert _run(_RESUME, job, 4, tmp_path / "x.npy", check=False).returncode == -signal.SIGKILL
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        port = str(sk.getsockname()[1])
    env = dict(os.environ, JAX_PLATFORMS="cpu", XLA_FLAGS="--xla_force_host_platform_device_count=1")
    # process 1 is pointed at a folder that does not exist: only process 0 may read or write
    # the job, and process 1 must still learn from it which blocks are missing
    elsewhere = tmp_path / "not-process-0s"
    procs = [subprocess.Popen([sys.executable, "-c", _MULTI_RESUME, str(i), port,
                               str(job if i == 0 else elsewhere), str(tmp_path / f"p{i}.npy")],
                              env=env, stdout=subprocess.PIPE, text=True) for i in (0, 1)]
    outs = [p.communicate(timeout=400)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    counts = [json.loads(o.strip().splitlines()[-1]) for o in outs]
    assert counts[0] == counts[1] and counts[0]["reused"] == 4 and counts[0]["computed"] > 0
    assert not elsewhere.exists()
    assert len(list(job.glob("block-*.npz"))) == counts[0]["blocks"]  # process 0 wrote them all
    _run(_RESUME, "", 0, tmp_path / "plain.npy")
    for i in (0, 1):
        np.testing.assert_array_equal(np.load(tmp_path / f"p{i}.npy"), np.load(tmp_path / "plain.npy"))


def test_block_progress_is_events_and_the_bar_is_their_listener(mlp_task, capsys):
    """The grid reports the "blocks" phase as events (start after the compiled first block,
    one advance per block, end); a listener hears every block, and the terminal bar drawn
    with progress=True is itself a listener of the same events: it ends at the same count."""
    from landscape.progress import Events

    pl = planes.random_plane(mlp_task, key=jax.random.key(3))
    seen = []
    s = compute_surface(mlp_task, pl, resolution=9, block=16, progress=True,
                        events=Events(seen.append))
    n_blocks = s.meta["resume"]["blocks"]
    kinds = [e.kind for e in seen]
    assert kinds[0] == "start" and kinds[-1] == "end" and set(kinds[1:-1]) == {"advance"}
    assert all(e.phase == "blocks" and e.unit == "block" for e in seen)
    total = seen[0].total
    assert [e.done for e in seen[1:-1]] == list(range(1, total + 1))
    assert seen[-1].done == total and seen[0].estimate > 0
    assert total == n_blocks - 1 > 1          # the first block compiles, before the bar
    err = capsys.readouterr().err
    assert f"surface 9×9:   0%|          | 0/{total} " in err     # the bar, from the start event


def test_the_bar_listener_follows_the_events(capsys):
    from landscape.progress import Bars, Events

    bars = Bars(True)
    ev = Events(bars)
    ev.start("blocks", label="grid", done=0, total=7, unit="block", estimate=0.1)
    bar = bars.bars[("blocks", None)]
    for k in (1, 2, 5):
        ev.advance("blocks", label="grid", done=k, total=7)
        assert bar.n == k
    ev.end("blocks", label="grid", done=7, total=7)
    assert bar.n == 7 and not bars.bars                          # closed
    quiet = Bars(None)                                          # not watched (pytest's stderr)
    Events(quiet).start("blocks", total=7, estimate=100.0)
    assert not quiet.bars
    assert "grid" in capsys.readouterr().err
