"""Stateless commands on model-set files: `remap params MODELS.json`."""

from __future__ import annotations

import argparse

from remap.service.modelset import model_set_params


def cmd_params(args: argparse.Namespace) -> int:
    for model_id, params in model_set_params(args.models):
        print(f"{model_id},{params}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "params",
        help="print id,params for every model of a model-set file, in file order",
        description="Print one 'id,params' line per model of MODELS.json (trainable parameters).",
    )
    p.add_argument("models", metavar="MODELS.json")
    p.set_defaults(handler=cmd_params)
