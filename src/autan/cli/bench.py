"""``autan bench bfcl|gsm8k``: run a public benchmark's entries and score them.

BFCL single-turn entries are one model step each; GSM8K questions are whole agent runs (tools
or code actions). Thin: ``autan.bench`` loads the data, runs and scores; this module parses
and prints.
"""

from __future__ import annotations

import argparse
import functools
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from autan.cli.args import DECODE_HELP, at_least
from autan.cli.display import EXIT_OK, interrupted
from autan.errors import ConfigurationError
from autan.loop import ACTIONS
from autan.protocols import TOOL_PROTOCOLS

if TYPE_CHECKING:
    from autan.bench import RunOne
    from autan.models.base import Model

Parser = TypeVar("Parser", bound=argparse.ArgumentParser)


def add_bench_commands(commands: argparse._SubParsersAction[Parser]) -> None:
    bench = commands.add_parser("bench", help="run a public benchmark and score it")
    suites = bench.add_subparsers(dest="bench_command", required=True, metavar="{bfcl,gsm8k}")
    bfcl = suites.add_parser("bfcl", help="Berkeley Function Calling Leaderboard, single turn")
    bfcl.add_argument(
        "--data",
        required=True,
        type=Path,
        metavar="DIR",
        help="BFCL data directory (bfcl_eval/data of the bfcl-eval package)",
    )
    bfcl.add_argument(
        "--categories",
        default=None,
        metavar="LIST",
        help="comma-separated categories (default: every single-turn one found)",
    )
    bfcl.add_argument(
        "--half",
        choices=("calibration", "report"),
        default=None,
        help="only the entries of one fixed half (a hash of each id; choose on calibration)",
    )
    _common_arguments(bfcl, "bfcl-results", "at most N entries per category")
    gsm8k = suites.add_parser("gsm8k", help="GSM8K maths questions, scored on the last number")
    gsm8k.add_argument("--data", required=True, type=Path, metavar="FILE", help="GSM8K test.jsonl")
    gsm8k.add_argument(
        "--actions",
        choices=ACTIONS,
        default="tools",
        help="the calculator tool (tools) or Python in the sandbox (code; needs bubblewrap "
        "or Landlock)",
    )
    _common_arguments(gsm8k, "gsm8k-results", "at most N questions")


def _common_arguments(parser: argparse.ArgumentParser, out: str, limit_help: str) -> None:
    parser.add_argument("--model", default=None, help="model spec (default: autan.toml or local)")
    parser.add_argument(
        "--limit", type=at_least(int, 1), default=None, metavar="N", help=limit_help
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="S",
        help="with --limit: a random sample drawn with this seed, not the first N",
    )
    parser.add_argument("--tool-protocol", choices=TOOL_PROTOCOLS, default=None)
    parser.add_argument("--decode", default=None, metavar="LIST", help=DECODE_HELP)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(out),
        metavar="DIR",
        help=f"results directory; an existing one is resumed (default: {out})",
    )
    parser.add_argument(
        "--workers",
        type=at_least(int, 1),
        default=1,
        metavar="N",
        help="worker processes, each loading its own model; with --ray, Ray actors (default: 1)",
    )
    parser.add_argument(
        "--ray",
        nargs="?",
        const="auto",
        default=None,
        metavar="ADDRESS",
        help="run on Ray: auto (alone) starts a local instance; HOST:PORT joins a cluster",
    )


def run_bench(args: argparse.Namespace) -> int:
    """Perform ``autan bench bfcl|gsm8k``; bad input is one line on stderr and exit status 2."""
    try:
        return _gsm8k(args) if args.bench_command == "gsm8k" else _bfcl(args)
    except KeyboardInterrupt:
        return interrupted("run again with the same --out to resume")


def _bfcl(args: argparse.Namespace) -> int:
    from autan.bench import load_entries
    from autan.cli.settings import load_settings

    if not args.data.is_dir():
        raise ConfigurationError(f"--data {str(args.data)!r} is not a directory")
    settings = load_settings()
    spec = args.model or settings.model
    protocol = args.tool_protocol or settings.tool_protocol
    categories = (
        [c.strip() for c in args.categories.split(",") if c.strip()] if args.categories else None
    )
    entries = load_entries(args.data, categories, args.limit, args.seed, args.half)
    _make_model(spec, protocol, args.decode)  # a bad spec fails here, before any output
    return _run_and_report(args, entries, spec, protocol, {"half": args.half})


def _gsm8k(args: argparse.Namespace) -> int:
    from autan.bench import load_questions, read_results, run_question, system_prompt_tokens
    from autan.cli.settings import load_settings

    settings = load_settings()
    spec = args.model or settings.model
    protocol = args.tool_protocol or settings.tool_protocol
    questions = load_questions(args.data, args.limit, args.seed)
    category = f"gsm8k-{args.actions}"
    other = {str(r.get("category")) for r in read_results(args.out / "results.jsonl")} - {category}
    if other:
        raise ConfigurationError(
            f"--out {str(args.out)!r} holds results of {', '.join(sorted(other))}; "
            "use another --out for this run"
        )
    model = _make_model(
        spec, protocol, args.decode
    )  # a bad spec fails here, before any output is written
    about = {
        "title": f"GSM8K: {spec}, actions {args.actions}",
        "actions": args.actions,
        "system_prompt_tokens": system_prompt_tokens(model, args.actions),
    }
    return _run_and_report(
        args,
        questions,
        spec,
        protocol,
        about,
        run_one=functools.partial(run_question, actions=args.actions),
    )


def _run_and_report(
    args: argparse.Namespace,
    items: list[Any],
    spec: str,
    protocol: str | None,
    about: dict[str, Any],
    run_one: RunOne[Any] | None = None,
) -> int:
    """Run ``items`` (resuming ``--out``), then write and print the summary."""
    from autan.bench import run_bench, run_entry

    if args.ray is not None and args.ray != "auto":
        from autan.batching._ray import check_reachable

        check_reachable(args.ray)  # before any output
    records, errors = run_bench(
        items,
        functools.partial(_make_model, spec, protocol, args.decode),
        args.out,
        args.workers,
        run_one=run_one or run_entry,
        ray=args.ray,
    )
    for error in errors:
        print(f"autan: {error}", file=sys.stderr)
    about = {
        **about,
        "model": spec,
        "tool_protocol": protocol or "default",
        "decode": args.decode or "default",
        "data": str(args.data),
        "limit": args.limit,
        "seed": args.seed,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "errors": len(errors),
    }
    print(_report(args.out, records, about), end="")
    return EXIT_OK


def _report(out: Path, records: list[dict[str, Any]], about: dict[str, Any]) -> str:
    from autan.bench import can_plot, summarise, write_plot, write_summary

    table = summarise(records)
    text = write_summary(out, table, about)
    if can_plot():
        title = f"BFCL · {about['model']} · {about['tool_protocol']}"
        write_plot(out / "summary.png", table, about.get("title", title))
    else:
        print("autan: no summary.png (pip install 'autan[bench]' for matplotlib)", file=sys.stderr)
    return text


def _make_model(spec: str, protocol: str | None, decode: str | None) -> Model:
    from autan.models import load_model

    return load_model(spec, tool_protocol=protocol, decode=decode)
