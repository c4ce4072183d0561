"""Small landscape ``.npz`` files built with numpy alone (a real network's spec and layout, a
non-square grid), and ways to alter them: for the checksum, hostile-input and property tests."""

from __future__ import annotations

import io
import zipfile

import numpy as np

from landscape.surface import Surface


def small_surface(ra: int = 7, rb: int = 5, seed: int = 0) -> Surface:
    """A surface of a 2-3-2 tanh MLP on a ``ra × rb`` grid; the numbers are made up."""
    from synthetic import bowl_surface

    from landscape import nets

    m = nets.mlp((3,), n_in=2, n_out=2, activation="tanh", init="xavier")
    rng = np.random.default_rng(seed)
    a, b, _, _ = bowl_surface(max(ra, rb))
    a, b = a[:ra], b[:rb]
    A, B = np.meshgrid(a, b, indexing="ij")
    loss = (0.1 + A ** 2 + 0.5 * B ** 2).astype(np.float32)
    p = m.layout.size
    x = rng.standard_normal((12, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int32)
    meta = {"dataset": {"name": "made-up", "n_train": 12, "n_eval": 12, "n_features": 2,
                        "n_classes": 2, "seed": None}, "center_loss": float(loss[ra // 2, rb // 2]),
            "center_accuracy": 0.5, "n_nonfinite": 0, "direction": "random", "norm": "filter",
            "bn_policy": "eval", "eval_set": {"n": 12, "shape": [12, 2], "embedded": True}}
    theta, d1, d2 = (rng.standard_normal(p).astype(np.float32) for _ in range(3))
    return Surface(alphas=a, betas=b, loss=loss, accuracy=np.clip(1 - loss, 0, 1).astype(np.float32),
                   theta=theta, d1=d1, d2=d2, spec=dict(m.spec), layout=m.layout, x_eval=x,
                   y_eval=y, bn_stats=np.zeros((0, 2, 3), np.float32), meta=meta)


def small_trajectory(surface: Surface):
    from synthetic import spiral_trajectory

    t = spiral_trajectory(surface.alphas, surface.betas, surface.loss, n_balls=6, n_frames=5,
                          layers=("dense_0", "dense_1"))
    t.meta["surface_fingerprint"] = surface.fingerprint()
    return t


def members(path) -> dict[str, bytes]:
    """The raw bytes of each member of a zip, by name."""
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def write_members(path, parts: dict[str, bytes]) -> None:
    """A valid zip (fresh CRCs) holding ``parts``, as `np.savez` lays them out."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    with open(path, "wb") as fh:
        fh.write(buf.getvalue())


def npy_bytes(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=True)
    return buf.getvalue()


def npy_claiming(descr: str, shape, data: bytes = b"\0" * 16) -> bytes:
    """A ``.npy`` whose header claims ``descr`` ``shape`` but which holds only ``data``."""
    from numpy.lib import format as npf

    buf = io.BytesIO()
    npf.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": tuple(shape)})
    return buf.getvalue() + data


def header_length(npy: bytes) -> int:
    """Where the array data of a ``.npy`` starts."""
    from numpy.lib import format as npf

    fh = io.BytesIO(npy)
    npf.read_array_header_1_0(fh) if npf.read_magic(fh) == (1, 0) else npf.read_array_header_2_0(fh)
    return fh.tell()


def save_without_checksum(path, arrays: dict) -> None:
    """What versions before checksums wrote: the same arrays, no ``checksum`` entry."""
    np.savez(path, **{k: v for k, v in arrays.items() if k != "checksum"})
