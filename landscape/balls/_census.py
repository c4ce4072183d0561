"""Minima census: cluster where settled balls came to rest.

Settled, non-escaped balls closer than ``radius`` (plane units) are linked; each connected
component is a resting place. Two resting places at the same level with no ridge between them
are one minimum: they are merged when their losses differ by at most ``barrier`` (relative,
5 % by default) and the surface along the straight segment joining them never rises more than
that above the higher of the two (balls spread over one flat floor are one minimum, not
twenty; balls stuck on a shelf above a valley are not counted as having found it). A minimum's
position is the mean of its lowest resting place, its loss and accuracy the surface's values
there, its ``share`` the fraction of *all* balls that ended in it (a Monte-Carlo estimate of
its basin's size under the starting distribution).

One census. These parameters (`RADIUS`, `BARRIER`) are the only ones: `Trajectory.census`,
each frame's census and every label the renderer draws come from this function with them.
"""

from __future__ import annotations

import numpy as np

from landscape.surface import plateau_height

RADIUS = 0.02    # linking distance, as a fraction of the span's larger side
BARRIER = 0.05   # relative height of a ridge that keeps two resting places apart


def census(positions, settled, escaped, group, group_names, surface, *,
           radius: float | None = None, barrier: float = BARRIER) -> list[dict]:
    """Minima found by settled balls.

    Args:
      positions: float ``[N, 2]``; settled, escaped: bool ``[N]``; group: int ``[N]``.
      group_names: one name per group (keys of ``by_group``).
      surface: a `Surface` (its loss and accuracy are interpolated at each minimum).
      radius: linking distance; default `RADIUS` (2 %) of the span's larger side.
      barrier: relative height a ridge must have to keep two resting places apart.

    Returns:
      One dict per minimum, lowest loss first: ``position`` [a, b], ``loss``, ``accuracy``,
      ``n_balls``, ``share``, ``by_group`` {group name: count}, ``spread`` (RMS distance of
      members from the centre).
    """
    return census_on_grid(surface.alphas, surface.betas, surface.loss, surface.accuracy,
                          positions, settled, escaped, group, group_names, radius=radius,
                          barrier=barrier)


def census_of(trajectory, surface, *, frame: int = -1, radius: float | None = None,
              barrier: float | None = None) -> list[dict]:
    """The census of a `Trajectory` at one recorded frame (``ls.census``): the minima its
    settled balls found on ``surface``, with the trajectory's own census parameters unless
    ``radius`` / ``barrier`` are given. At the last frame with its own parameters this is
    exactly ``trajectory.census``, the list the simulator wrote.

        >>> minima = ls.census(traj, surface, frame=-1)        # doctest: +SKIP
    """
    t = range(trajectory.n_frames)[frame]
    params = dict(trajectory.meta.get("census_params", {}))
    if radius is not None:
        params["radius"] = float(radius)
    if barrier is not None:
        params["barrier"] = float(barrier)
    return census(trajectory.positions[t], trajectory.settled[t], trajectory.escaped[t],
                  trajectory.group, [g["name"] for g in trajectory.groups], surface, **params)


def census_on_grid(alphas, betas, loss, accuracy, positions, settled, escaped, group=None,
                   group_names=None, *, radius: float | None = None,
                   barrier: float = BARRIER) -> list[dict]:
    """`census` on a grid given as arrays (``accuracy`` may be ``None``; without ``group``
    every ball is in one group named ``"balls"``). Losses are read as the renderer draws them
    (non-finite cells on the plateau: `landscape.surface._interp.plateau_height`)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    alphas, betas = np.asarray(alphas, np.float64), np.asarray(betas, np.float64)
    positions = np.asarray(positions, np.float64)
    n_all = positions.shape[0]
    if group is None:
        group, group_names = np.zeros(n_all, int), ["balls"]
    keep = np.asarray(settled, bool) & ~np.asarray(escaped, bool)
    if n_all == 0 or not keep.any():
        return []
    if radius is None:
        radius = RADIUS * max(alphas[-1] - alphas[0], betas[-1] - betas[0])

    def at(Z, ab):
        return plateau_height(alphas, betas, Z, ab)[0]

    idx = np.flatnonzero(keep)
    P = positions[idx]
    pairs = cKDTree(P).query_pairs(radius, output_type="ndarray")
    m = len(idx)
    adj = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(m, m)) \
        if len(pairs) else coo_matrix((m, m))
    _, sub = connected_components(adj, directed=False)
    labels = _merge_without_barrier(P, sub, lambda ab: at(loss, ab), loss, barrier)
    out = []
    for lab in np.unique(labels):
        in_lab = labels == lab
        members = idx[in_lab]
        # the minimum is where its lowest resting place is (merged places lie on one floor)
        centres = np.stack([positions[idx[in_lab & (sub == s)]].mean(0)
                            for s in np.unique(sub[in_lab])])
        c = centres[int(np.argmin(at(loss, centres)))]
        spread = float(np.sqrt(((positions[members] - c) ** 2).sum(1).mean()))
        g = np.asarray(group)[members]
        out.append({
            "position": [float(c[0]), float(c[1])],
            "loss": float(at(loss, c)),
            "accuracy": None if accuracy is None else float(at(accuracy, c)),
            "n_balls": int(len(members)),
            "share": float(len(members) / n_all),
            "by_group": {str(group_names[k]): int((g == k).sum()) for k in np.unique(g)},
            "spread": spread,
        })
    out.sort(key=lambda d: (d["loss"], -d["n_balls"]))
    return out


def _merge_without_barrier(P, labels, loss_at, loss, barrier: float, n_probe: int = 33):
    """Union clusters whose centres are joined by a segment with no ridge on the surface."""
    labs = np.unique(labels)
    if len(labs) < 2:
        return labels
    centres = np.stack([P[labels == l].mean(0) for l in labs])
    ends = loss_at(centres)
    finite = np.asarray(loss)[np.isfinite(loss)]
    floor = 1e-6 * (float(finite.max() - finite.min()) if finite.size else 1.0)
    parent = list(range(len(labs)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    t = np.linspace(0.0, 1.0, n_probe)[:, None]
    for i in range(len(labs)):
        for j in range(i + 1, len(labs)):
            if root(i) == root(j):
                continue
            top = max(ends[i], ends[j])
            if abs(ends[i] - ends[j]) > barrier * top + floor:
                continue  # a ball stuck on a shelf has not found the valley below it
            seg = centres[i] + t * (centres[j] - centres[i])
            if np.max(loss_at(seg)) <= top * (1 + barrier) + floor:
                parent[root(j)] = root(i)
    new = np.array([root(i) for i in range(len(labs))])
    return new[np.searchsorted(labs, labels)]
