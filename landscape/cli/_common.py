"""Options shared by the subcommands that build a landscape (model, data, training,
directions, grid), and helpers for output paths and JSON summaries."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

from landscape.errors import LandscapeError


def parse_widths(text: str) -> tuple[int, ...]:
    try:
        w = tuple(int(v) for v in text.split(",") if v.strip() != "")
    except ValueError:
        raise argparse.ArgumentTypeError(f"widths must be comma-separated integers, got {text!r}")
    if not w or any(v <= 0 for v in w):
        raise argparse.ArgumentTypeError(f"widths must be one or more positive integers, got {text!r}")
    return w


def parse_items(text: str) -> tuple:
    """A comma list of layer indices or names, checked later against the network (an empty
    entry is kept so that the check can name it)."""
    if not text.strip():
        return ()
    return tuple(int(t) if t.strip().lstrip("+-").isdigit() else t.strip() for t in text.split(","))


def parse_ints(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(t) for t in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}")


def parse_float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}")


# Options whose default is None on the command line, so that "given by the user" can be told
# from "left at its default": one that cannot apply to the rest of the command is an error.
CONFIG_DEFAULTS = {"bn_policy": "eval", "norm": "filter", "train_lr": 1e-2,
                   "train_optimizer": "adam", "train_batch": 128}


def add_model_args(p: argparse.ArgumentParser) -> None:
    """Data, network, training and plane options (defaults: the reference case)."""
    g = p.add_argument_group("data and network")
    g.add_argument("--dataset", default="digits",
                   help="digits | mnist | moons | circles | spirals (default digits); token "
                        "sequences for --model transformer: modular (a + b mod p) | reverse | sort")
    g.add_argument("--samples", type=int, default=None, help="sample count of a generated dataset")
    g.add_argument("--classes", type=parse_ints, default=None,
                   help="keep only these labels, relabelled 0..k-1, e.g. 5,6,7,8,9")
    g.add_argument("--modulus", type=int, default=None,
                   help="--dataset modular: the modulus p (default 97): p² pairs, half trained on")
    g.add_argument("--model", default="mlp", help="mlp | cnn | transformer (default mlp; the CNN "
                                                  "has no batch norm, skips or other outputs)")
    g.add_argument("--widths", type=parse_widths, default=(64, 64, 64),
                   help="hidden widths, e.g. 64,64,64 (CNN: channels; transformer: the model "
                        "width of each block, all equal: 64,64,64,64,64,64 is 6 blocks of 64)")
    g.add_argument("--heads", type=int, default=None,
                   help="transformer: attention heads, dividing the width (default 4, or 2 or 1)")
    g.add_argument("--norm-position", default=None,
                   help="transformer: LayerNorm before each sublayer (pre, default) or after "
                        "the residual sum (post)")
    g.add_argument("--no-residual", dest="residual", action="store_false",
                   help="transformer: no residual connections around attention and feed-forward")
    g.add_argument("--activation", default="relu",
                   help="sigmoid | tanh | relu | leaky_relu | elu | gelu | linear")
    g.add_argument("--init", default="he",
                   help="normal | xavier | xavier_uniform | he | he_uniform | lecun (and aliases)")
    g.add_argument("--init-scale", type=parse_float, default=1.0, help="multiply initial weights by this")
    g.add_argument("--batchnorm", action="store_true", help="batch norm before each activation")
    g.add_argument("--bn-policy", default=None,
                   help="with --batchnorm: eval (statistics frozen at θ*; default) | batch "
                        "(statistics of the data evaluated; balls use their minibatch's)")
    g.add_argument("--skip", action="store_true", help="residual connections between equal widths")
    g = p.add_argument_group("training")
    g.add_argument("--train-steps", type=int, default=500)
    g.add_argument("--train-lr", type=parse_float, default=None, help="default 0.01")
    g.add_argument("--train-optimizer", default=None, help="adam (default) | sgd | momentum")
    g.add_argument("--train-batch", type=int, default=None, help="default 128")
    g.add_argument("--seed", type=int, default=0, help="seed of data, init, training, directions")
    g = p.add_argument_group("plane and grid")
    g.add_argument("--directions", default="random", help="random | pca | hessian")
    g.add_argument("--norm", default=None,
                   help="random directions only: filter (default) | layer | absolute | none; "
                        "absolute: every layer moves by the same RMS per weight, so layers' "
                        "slopes compare fairly")
    g.add_argument("--norm-step", type=parse_float, default=None,
                   help="--norm absolute: the RMS per weight of a unit step (default: θ*'s weight RMS)")
    g.add_argument("--layers", type=parse_items, default=None,
                   help="random directions only: the plane moves only these layers' weights: "
                        "indices input → output from 0 (negative from the output) or names, "
                        "e.g. 0 or 8,9")
    g.add_argument("--grid", type=int, default=51, help="N for an N×N grid (default 51)")
    g.add_argument("--span", type=parse_float, default=1.0, help="a, b in [-S, S] (default 1); for pca and hessian directions S is "
                        "in units of the path's extent / the 1-nat distance along d1")
    g.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")


def add_output_args(p: argparse.ArgumentParser, what: str) -> None:
    """``-o FILE.npz``, ``--json`` and ``-q``, as every computing subcommand has them."""
    p.add_argument("-o", "--output", default=None, help=f"write the {what} here (.npz)")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress or notices")


def add_scale_args(p: argparse.ArgumentParser) -> None:
    """``--log`` / ``--linear`` into ``args.log_scale`` (``None``: decided by the data, log when
    the losses span over three decades, as the renderer does)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--log", dest="log_scale", action="store_const", const=True, default=None,
                   help="the loss on a log scale (heights and colours as log10(loss))")
    g.add_argument("--linear", dest="log_scale", action="store_const", const=False,
                   help="the loss on a linear scale (default: log when it spans over 3 decades)")


def config_from_args(args):
    """The `LandscapeConfig` the options describe; an option that cannot apply is an error."""
    from landscape.pipeline import LandscapeConfig

    if args.span is not None and not (math.isfinite(args.span) and args.span > 0):
        raise LandscapeError(f"span must be a positive finite number, got {args.span}")
    if args.bn_policy is not None and not args.batchnorm:
        raise LandscapeError("--bn-policy applies only with --batchnorm; drop it or add --batchnorm")
    if args.norm is not None and args.directions != "random":
        raise LandscapeError(f"--norm applies to random directions only, not to "
                             f"--directions {args.directions} (its directions are unit vectors)")
    if args.layers is not None and args.directions != "random":
        raise LandscapeError(f"--layers applies to random directions only, not to "
                             f"--directions {args.directions}")
    if args.norm_step is not None and args.norm != "absolute":
        raise LandscapeError("--norm-step applies only with --norm absolute")
    if args.train_steps == 0:
        given = [f"--{k.replace('_', '-')}" for k in ("train_lr", "train_optimizer", "train_batch")
                 if getattr(args, k) is not None]
        if given:
            raise LandscapeError(f"{', '.join(given)} do{'es' if len(given) == 1 else ''} "
                                 f"nothing with --train-steps 0; drop {'it' if len(given) == 1 else 'them'}")
    opt = {k: getattr(args, k) if getattr(args, k) is not None else v
           for k, v in CONFIG_DEFAULTS.items()}
    return LandscapeConfig(
        dataset=args.dataset, n_samples=args.samples, model=args.model, widths=tuple(args.widths),
        activation=args.activation, init=args.init, init_scale=args.init_scale,
        batchnorm=args.batchnorm, skip=args.skip,
        train_steps=args.train_steps, seed=args.seed, directions=args.directions,
        span=args.span, grid=args.grid, layers=args.layers, norm_step=args.norm_step,
        classes=args.classes, heads=args.heads, norm_position=args.norm_position,
        residual=args.residual, modulus=args.modulus, **opt).validate()


def check_output(path: str | None, suffixes=(".npz",)) -> str | None:
    """Fail early (before any compute) on a bad output path."""
    if path is None:
        return None
    from landscape.files import check_writable

    if suffixes and not path.endswith(tuple(suffixes)):
        raise LandscapeError(f"output {path} must end in {' or '.join(suffixes)}")
    check_writable(path)
    return path


def print_json(obj) -> None:
    json.dump(obj, sys.stdout, indent=2, default=_default)
    sys.stdout.write("\n")


def _default(o):
    from landscape.files import json_default

    try:
        return json_default(o)
    except TypeError:
        return str(o)  # a summary on stdout prints what it cannot encode rather than fail


def info(line: str) -> None:
    print(line, file=sys.stderr)


def human_flops(f: float) -> str:
    for unit, k in (("PFLOP", 1e15), ("TFLOP", 1e12), ("GFLOP", 1e9), ("MFLOP", 1e6)):
        if f >= k:
            return f"{f / k:.1f} {unit}"
    return f"{f:.0f} FLOP"


def default_out(name: str) -> str:
    return os.path.join(os.getcwd(), name)
