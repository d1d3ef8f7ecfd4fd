"""Workflow commands on a workspace store: sample, train, ablate, vary, craft, list, show,
export, import, queue, settings."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from remap.cli.common import (
    EPOCHS,
    ID,
    MODEL_COUNT,
    SEED,
    WORKERS,
    fail,
    int_arg,
    open_workspace,
    parse_int_list,
    workspace_command,
)
from remap.cli.errors import one_line
from remap.cli.output import ProgressBar, model_table
from remap.service import ServiceError, Workspace, views
from remap.service.naming import model_label
from remap.service.weights import human_bytes, inheriting, weights_usage

if TYPE_CHECKING:  # experiments, export/import and the queue are imported when used:
    # `remap list` / `show` must start fast (issue 12)
    from remap.service import queue
    from remap.service.experiments import GenerateResult

SORT_KEYS = ("id", "accuracy", "params")


MAX_LISTED = 20  # ids and problems printed in full; the rest are counted


def _ids(ids: list[int]) -> str:
    shown = ", ".join(map(str, ids[:MAX_LISTED]))
    return shown + (f" and {len(ids) - MAX_LISTED} more" if len(ids) > MAX_LISTED else "")


def _report(
    ws: Workspace, result: GenerateResult, what: str, problems_to_stderr: bool = False
) -> None:
    print(f"{what}: {len(result.created)} new model(s), {len(result.jobs)} queued for training")
    if result.existing:
        print(f"already in the workspace: {_ids(result.existing)}")
    out = sys.stderr if problems_to_stderr else sys.stdout
    prefix = "remap: " if problems_to_stderr else "skipped: "
    for reason in result.skipped[:MAX_LISTED]:
        print(prefix + one_line(reason), file=out)
    if len(result.skipped) > MAX_LISTED:
        print(f"{prefix}and {len(result.skipped) - MAX_LISTED} more not imported", file=out)
    if result.created:
        rows = [r for r in views.model_rows(ws) if r.id in set(result.created)]
        model_table(rows[:MAX_LISTED])
        if len(rows) > MAX_LISTED:
            print(f"… and {len(rows) - MAX_LISTED} more (see `remap list`)")


def cmd_sample(args: argparse.Namespace) -> int:
    from remap.service import experiments

    transitions = None
    if args.transitions:
        from remap.arch.original import read_json_file

        transitions = read_json_file(args.transitions)
    with open_workspace(args) as ws:
        result = experiments.sample(ws, args.count, args.seed, transitions, not args.no_train)
        _report(ws, result, "sampled")
    return 0


def train_queue(
    ws: Workspace, workers: int | None = None, args: argparse.Namespace | None = None
) -> queue.QueueSummary:
    from remap.service import queue

    plan = queue.executor_plan(
        ws,
        workers,
        executor=getattr(args, "executor", None),
        workers_per_gpu=getattr(args, "workers_per_gpu", None),
        ray_address=getattr(args, "ray_address", None),
    )
    bar = ProgressBar(ws.store)
    try:
        summary = queue.run_until_idle(ws, progress=bar, plan=plan)
    finally:
        bar.close()
    return summary


def cmd_train(args: argparse.Namespace) -> int:
    from remap.service import queue

    with open_workspace(args) as ws:
        if args.models:
            ids = parse_int_list(args.models, "models") or []
            queue.enqueue_models(ws, ids, args.epochs)
        summary = train_queue(ws, args.workers, args)
        print(
            f"queue empty: {summary.done} done, {summary.failed} failed, "
            f"{summary.cancelled} cancelled"
        )
        failed = [j for j in ws.store.list_jobs({"failed"})]
        for job in failed[:10]:
            print(f"job {job.id} (model {model_label(job.model_id)}) failed: {job.error}")
    return 0


def cmd_ablate(args: argparse.Namespace) -> int:
    from remap.service import experiments

    with open_workspace(args) as ws:
        layers = parse_int_list(args.layers, "layers")
        with inheriting(ws, args.inherit):
            result = experiments.run_ablation(ws, args.model, layers, not args.no_train)
        _report(ws, result, f"ablation of model {model_label(args.model)}")
    return 0


def _enabled(text: str | None) -> list[tuple[int, str]] | None:
    if not text:
        return None
    pairs = []
    for part in text.split(","):
        index, _, kind = part.partition(":")
        if not index.strip().isdigit() or not kind:
            raise ServiceError(f"expected INDEX:TYPE pairs like 2:remove, got {part!r}", "enable")
        pairs.append((int(index), kind.strip()))
    return pairs


def cmd_vary(args: argparse.Namespace) -> int:
    from remap.service import experiments

    with open_workspace(args) as ws, inheriting(ws, args.inherit):
        result = experiments.run_variation(
            ws, args.model, args.count, args.changes, _enabled(args.enable), args.seed,
            not args.no_train,
        )  # fmt: skip
        _report(ws, result, f"variation of model {model_label(args.model)}")
    return 0


def cmd_craft(args: argparse.Namespace) -> int:
    from remap.service import experiments

    text = args.edits
    if text.lstrip().startswith("["):
        try:
            edits = json.loads(text)
        except json.JSONDecodeError as exc:
            return fail(f"edits: not valid JSON at line {exc.lineno}: {exc.msg}")
        except RecursionError:
            return fail("edits: JSON nested too deeply to read")
    else:
        from remap.arch.errors import SpecFormatError
        from remap.arch.original import read_json_file

        try:
            edits = read_json_file(text)
        except SpecFormatError as exc:
            return fail(f"edit list {exc}")
    if not isinstance(edits, list):
        return fail("edits: expected a JSON list of edits")
    with open_workspace(args) as ws:
        with inheriting(ws, args.inherit):
            result = experiments.run_handcrafted(ws, args.model, edits, not args.no_train)
        _report(ws, result, f"hand-crafted child of model {model_label(args.model)}")
    return 0


def sorted_rows(rows: list[views.ModelRow], key: str) -> list[views.ModelRow]:
    if key == "accuracy":
        return sorted(rows, key=lambda r: (r.val_acc is None, -(r.val_acc or 0.0), r.id))
    if key == "params":
        return sorted(rows, key=lambda r: (r.params, r.id))
    return sorted(rows, key=lambda r: r.id)


def cmd_list(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        rows = sorted_rows(views.model_rows(ws), args.sort)
        if args.json:
            json.dump([r.to_dict() for r in rows], sys.stdout, indent=1)
            print()
        else:
            model_table(rows, wide=args.wide)
            usage = weights_usage(ws)
            print(f"weights: {usage['files']} file(s), {human_bytes(usage['bytes'])}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        details = views.model_details(ws, args.model)
    if args.json:
        json.dump(details, sys.stdout, indent=1)
        print()
        return 0
    m = details["model"]
    acc = f"{m['val_acc'] * 100:.1f}%" if m["val_acc"] is not None else "not trained"
    if m["recorded_acc"] is not None:
        acc += f"; {m['recorded_acc'] * 100:.1f}% recorded, not trained here"
    label = model_label(m["id"], m["name"])
    print(f"model {label} — {m['origin']}, {m['params']:,} parameters, {acc}")
    if m["parent_id"] is not None:
        print(f"parent: model {model_label(m['parent_id'])}")
    for change in m["changes"]:
        print(f"  change: {change}")
    run = details["run"]
    for layer in run["inherited"] if run else []:
        print(f"  inherited from the parent: layer {layer['index']} {layer['layer']}")
    if run and run["weights_bytes"]:
        print(f"  weights: {human_bytes(run['weights_bytes'])}")
    for layer in details["layers"]:
        shape = "×".join(map(str, layer["output"]))
        print(f"  {layer['index']:>2}  {layer['layer']:<28} → {shape:<12} {layer['params']:>9,}")
    run = details["run"]
    if run:
        for e in run["epochs"]:
            print(
                f"  epoch {e['epoch']:>2}: loss {e['train_loss']:.3f}/{e['val_loss']:.3f} "
                f"acc {e['train_acc'] * 100:.1f}%/{e['val_acc'] * 100:.1f}%"
            )
        classes = details["classes"]
        worst = sorted(zip(run["per_class_acc"], classes, strict=True))[:3]
        print("  weakest classes: " + ", ".join(f"{c} {a * 100:.0f}%" for a, c in worst))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    try:
        return _export(args)
    except ServiceError as exc:
        if str(exc).endswith("already exists"):
            return fail(f"{exc}; pass --force to replace it")
        raise


def _export(args: argparse.Namespace) -> int:
    from remap.service import exporting

    target = Path(args.target)
    if target.suffix == ".json" or target.is_file():
        from remap.service.modelset import export_model_set_entry

        if not args.id or not args.out:
            return fail("exporting from a model-set file needs --id ID and --out FILE.py")
        path = export_model_set_entry(target, args.id, args.out, overwrite=args.force)
        print(f"wrote {path}")
        return 0
    if not args.target.isdigit():
        return fail(f"expected a model id or a model-set .json file, got {args.target!r}")
    out = Path(args.out) if args.out else None
    if out is not None and out.suffix not in ("", ".py") and not out.is_dir():
        return fail(f"--out {args.out}: an exported model is a .py file (or a folder to put it in)")
    with open_workspace(args) as ws:
        folder, filename = (out.parent, out.name) if out and out.suffix == ".py" else (out, None)
        path = exporting.export_model(
            ws, int(args.target), folder, filename, class_name=args.name, overwrite=args.force
        )
    weights = exporting.export_summary(path)["weights"]
    print(f"wrote {path}" + (f" and {weights}" if weights else " (untrained: no weights)"))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from remap.service import exporting

    if (args.file is None) == (args.example is None):
        return fail("import needs either a FILE or --example NAME")
    with open_workspace(args) as ws:
        if args.example is not None:
            result = exporting.import_example(ws, args.example, not args.no_train)
            _report(ws, result, f"imported the example {args.example}")
            return 0
        if Path(args.file).suffix == ".json":
            result = exporting.import_model_set(ws, args.file, not args.no_train)
        else:
            result = exporting.import_python_file(ws, args.file, args.class_name, not args.no_train)
        _report(ws, result, f"imported {args.file}", problems_to_stderr=True)
    if not result.created and not result.existing:
        return fail(f"{args.file}: nothing imported")
    return 0


def cmd_queue(args: argparse.Namespace) -> int:
    from remap.service import queue

    with open_workspace(args) as ws:
        if args.cancel is not None:
            print(f"job {args.cancel}: {queue.cancel(ws, args.cancel)}")
        if args.reorder:
            queue.reorder(ws, parse_int_list(args.reorder, "reorder") or [])
        if args.pause or args.resume:
            queue.set_paused(ws, bool(args.pause))
        summary = queue.summarise(ws.store)
        jobs = [queue.job_dict(j) for j in ws.store.list_jobs({"queued", "running"})]
    state = "paused" if summary.paused else "active"
    print(
        f"queue {state}: {summary.running} running, {summary.queued} queued, "
        f"{summary.done} done, {summary.failed} failed, {summary.cancelled} cancelled"
    )
    for job in jobs:
        print(f"  job {job['id']:>4}  model {model_label(job['model_id']):>5}  {job['state']}")
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    changes: dict[str, Any] = {}
    for item in args.assignments:
        key, sep, value = item.partition("=")
        if not sep:
            return fail(f"expected KEY=VALUE, got {item!r}")
        try:
            changes[key] = json.loads(value)
        except (json.JSONDecodeError, RecursionError):
            changes[key] = value  # a plain string, e.g. dataset=data/faces.npz
    with open_workspace(args) as ws:
        settings = ws.update_settings(changes) if changes else ws.settings
        for key, value in settings.to_dict().items():
            print(f"{key} = {json.dumps(value)}")
    return 0


def add_inherit_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--inherit",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="children start from the parent's trained weights for every layer whose shapes "
        "did not change (default: the workspace setting inherit_weights)",
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = workspace_command(
        sub, "sample", cmd_sample, "sample new architectures and queue them for training"
    )
    p.add_argument("count", type=MODEL_COUNT)
    p.add_argument("--seed", type=SEED, default=None)
    p.add_argument("--transitions", help="JSON file with a layer-transition table and options")
    p.add_argument("--no-train", action="store_true", help="add the models without queueing")

    p = workspace_command(sub, "train", cmd_train, "run training workers until the queue is empty")
    p.add_argument("--workers", type=WORKERS, default=None, help="0: automatic")
    p.add_argument(
        "--workers-per-gpu", help="training processes per GPU: N or auto (default: setting)"
    )
    p.add_argument("--executor", choices=("local", "ray"), help="local processes or Ray tasks")
    p.add_argument(
        "--ray-address", help="join this Ray cluster (auto, host:port); default: a local one"
    )
    p.add_argument("--models", help="comma-separated model ids to (re)train first")
    p.add_argument("--epochs", type=EPOCHS, default=None)

    p = workspace_command(
        sub, "ablate", cmd_ablate, "one child per selected layer with that layer removed"
    )
    p.add_argument("model", type=ID)
    p.add_argument("--layers", help="comma-separated layer indices (default: every layer)")
    p.add_argument("--no-train", action="store_true")
    add_inherit_option(p)

    p = workspace_command(
        sub, "vary", cmd_vary, "children with random changes (insert/remove/replace/reparam)"
    )
    p.add_argument("model", type=ID)
    p.add_argument(
        "-n", "--count", type=int_arg(1, 20), default=5, help="number of children (1–20)"
    )
    p.add_argument("-k", "--changes", type=int_arg(1, 5), default=3, help="changes per child (1–5)")
    p.add_argument("--enable", help="INDEX:TYPE pairs, e.g. 0:reparameterise,2:remove")
    p.add_argument("--seed", type=SEED, default=None)
    p.add_argument("--no-train", action="store_true")
    add_inherit_option(p)

    p = workspace_command(
        sub, "craft", cmd_craft, "apply hand-crafted edits (JSON list or file) to a model"
    )
    p.add_argument("model", type=ID)
    p.add_argument("edits", help='e.g. \'[{"op":"remove","index":1}]\' or edits.json')
    p.add_argument("--no-train", action="store_true")
    add_inherit_option(p)

    p = workspace_command(
        sub, "list", cmd_list, "list the workspace's models with lineage and accuracy"
    )
    p.add_argument("--sort", choices=SORT_KEYS, default="id")
    p.add_argument("--json", action="store_true")
    p.add_argument("--wide", action="store_true", help="show full change lists and layers")

    p = workspace_command(sub, "show", cmd_show, "show one model: layers, lineage, training curves")
    p.add_argument("model", type=ID)
    p.add_argument("--json", action="store_true")

    p = workspace_command(sub,
        "export", cmd_export,
        "write a model as a PyTorch file: a workspace model id, or MODELS.json --id ID",
    )  # fmt: skip
    p.add_argument("target", help="model id, or a model-set .json file")
    p.add_argument("--id", help="model id inside a model-set file")
    p.add_argument("--out", help="output .py file or folder (default: remap_models/)")
    p.add_argument("--name", help="class name (default: RemapModel<ID>)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")

    p = workspace_command(
        sub, "import", cmd_import, "bring a PyTorch file or a model-set JSON into the map"
    )
    p.add_argument("file", nargs="?")
    p.add_argument("--example", help="a bundled model set instead of a file: remap-quickdraw")
    p.add_argument("--class", dest="class_name", help="only this nn.Module class")
    p.add_argument("--no-train", action="store_true")

    p = workspace_command(
        sub, "queue", cmd_queue, "show, cancel, reorder, pause or resume training jobs"
    )
    p.add_argument("--cancel", type=ID, metavar="JOB")
    p.add_argument("--reorder", metavar="JOB,JOB,...")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--pause", action="store_true")
    group.add_argument("--resume", action="store_true")

    p = workspace_command(
        sub, "settings", cmd_settings, "show or change workspace settings (KEY=VALUE)"
    )
    p.add_argument("assignments", nargs="*")
