"""`remap demo`: the README's main job without an editor — sample a model space on the
bundled data set, train it, ablate and vary the best model, train the children, print the
table and export the best model as a PyTorch file."""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from remap.cli.cmd_workspace import sorted_rows, train_queue
from remap.cli.common import EPOCHS, MODEL_COUNT, SEED, WORKERS, int_arg
from remap.cli.output import model_table
from remap.service import Workspace, views
from remap.service.naming import model_label


def _best(ws: Workspace) -> views.ModelRow | None:
    trained = [r for r in views.model_rows(ws) if r.val_acc is not None]
    return max(trained, key=lambda r: (r.val_acc or 0.0, -r.params)) if trained else None


def cmd_demo(args: argparse.Namespace) -> int:
    from remap.service import experiments, exporting

    start = time.monotonic()
    root = Path(args.workspace)
    if args.fresh and (root / ".remap").exists():
        shutil.rmtree(root / ".remap")
    root.mkdir(parents=True, exist_ok=True)
    overrides = {
        "dataset": args.dataset,
        "epochs": args.epochs,
        "seed": args.seed,
        "max_params": args.max_params,
    }
    with Workspace.open(root, None, overrides) as ws:
        split = ws.split()
        print(
            f"REMAP demo in {ws.root}: data set {split.name!r} "
            f"({len(split.train_y)} train / {len(split.test_y)} held-out, "
            f"{'×'.join(map(str, split.input_shape))}, {split.num_classes} classes)"
        )
        have = sum(1 for m in ws.store.list_models() if m.origin == "sampled")
        if have < args.models:
            result = experiments.sample(ws, args.models - have, args.seed)
            print(f"sampled {len(result.created)} architectures")
        print("training the model space")
        train_queue(ws, args.workers)
        best = _best(ws)
        if best is None:
            print("no model finished training; see `remap queue` and `remap list`")
            return 1
        label = model_label(best.id, best.name)
        print(f"best model: {label} ({best.val_acc or 0:.1%}) — {best.layers}")
        ablation = experiments.run_ablation(ws, best.id)
        variation = experiments.run_variation(ws, best.id, n=args.variations, max_changes=3)
        print(
            f"ablation: {len(ablation.created)} children, variation: "
            f"{len(variation.created)} children; training them for the parent's epochs"
        )
        for reason in ablation.skipped + variation.skipped:
            print(f"skipped: {reason}")
        train_queue(ws, args.workers)
        print()
        model_table(sorted_rows(views.model_rows(ws), "accuracy"))
        final = _best(ws) or best
        path = exporting.export_model(
            ws, final.id, "remap_models", "best_model.py", class_name="BestModel", overwrite=True
        )
        label = model_label(final.id, final.name)
        print(f"\nbest model {label} ({final.val_acc or 0:.1%}) exported to {path}")
        print(f"done in {time.monotonic() - start:.0f}s — explore it with `remap list -w {root}`")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help=cmd_demo.__doc__ or "", description=__doc__)
    p.add_argument("-w", "--workspace", default="demo-workspace")
    p.add_argument("--dataset", default="digits")
    p.add_argument("--models", type=MODEL_COUNT, default=12, help="size of the sampled model space")
    p.add_argument("--epochs", type=EPOCHS, default=8, help="maximum epochs per base model")
    p.add_argument("--variations", type=int_arg(1, 20), default=5)
    p.add_argument(
        "--max-params",
        type=int_arg(1, 10**12),
        default=200_000,
        help="parameter budget (small by default so the demo takes minutes on a CPU)",
    )
    p.add_argument("--workers", type=WORKERS, default=None)
    p.add_argument("--seed", type=SEED, default=0)
    p.add_argument("--fresh", action="store_true", help="start from an empty store")
    p.set_defaults(handler=cmd_demo)
