"""``autan run --cascade``: the task on the embedded model first and on the configured server
only when that fails (or on the model specs given, cheapest first); see ``autan.Cascade``."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import TYPE_CHECKING, Any

from autan.cli.display import EXIT_OK, cascade_line, paused, show_live, tier_line
from autan.cli.json_lines import write_cascade_summary, write_event, write_run
from autan.errors import ConfigurationError
from autan.ids import new_run_id

if TYPE_CHECKING:
    from autan.agent.cascade import Cascade
    from autan.agent.cascade_result import CascadeResult
    from autan.cli.recipe import Recipe
    from autan.cli.settings import Settings
    from autan.events import Event
    from autan.store import Store

CLI_CASCADE_KEY = "cli_cascade"
"""Where a cascade's run journals how ``autan run --cascade`` built it (a recipe and the tiers'
specs), for ``autan runs resume``."""

DEFAULT_TIERS = "local,MODEL"
"""``--cascade`` alone: the embedded model, then the model that ``--model`` or the settings
name (a server)."""

HELP = (
    "run the task on a cheaper model first and hand it to the next only when that run hits a "
    "limit, exhausts its tool retries or answers in the wrong shape: alone, the embedded model "
    "then --model (a server: autan.toml or AUTAN_MODEL); or SPECS, model specs separated by "
    "commas, cheapest first"
)


def add_cascade_argument(run: argparse.ArgumentParser) -> None:
    run.add_argument(
        "--cascade", nargs="?", const=DEFAULT_TIERS, default=None, metavar="SPECS", help=HELP
    )


def cascade_specs(value: str, model: str) -> list[str]:
    """The tiers' model specs, cheapest first; ``model`` is the run's (``--model``)."""
    if value == DEFAULT_TIERS:
        if model == "local" or model.startswith("gguf:"):
            raise ConfigurationError(
                "--cascade runs the embedded model first, then a server: name the server with "
                f"--model, AUTAN_MODEL or model in autan.toml (the model is now {model!r})"
            )
        return ["local", model]
    specs = [spec.strip() for spec in value.split(",") if spec.strip()]
    if len(specs) < 2:
        raise ConfigurationError(
            f"--cascade {value!r}: name two or more model specs, cheapest first, "
            "separated by commas"
        )
    return specs


def run_cascade(
    args: argparse.Namespace, task: str, recipe: Recipe, settings: Settings, store: Store | None
) -> int:
    """Build the tiers (one recipe each, the flags shared), run, show; ``CascadeFailed``
    goes up to ``main`` (one line, exit 1) after the tiers' lines."""
    from autan.agent.cascade import Cascade
    from autan.errors import AwaitingApproval

    specs = cascade_specs(args.cascade, recipe.model)
    tiers = [_tier_recipe(recipe, spec).build(store, settings) for spec in specs]
    run_id = new_run_id()
    try:
        recorded = {"recipe": dataclasses.asdict(recipe), "tiers": specs}
        cascade = Cascade(tiers, store=store, metadata={CLI_CASCADE_KEY: recorded})
        result = _stream(cascade, task, args, run_id)
    except AwaitingApproval as pause:
        return paused(str(pause.result.run_id), pause.result.events, args.store, run_id)
    finally:
        for tier in tiers:
            tier.close()
    if args.json:
        write_cascade_summary(result)
    elif result.output is not None:
        print(answer_text(result), flush=True)
    if not args.quiet:
        print(cascade_line(result), file=sys.stderr)
    return EXIT_OK


def resume_cascade(
    store: Store, run_id: str, settings: Settings, send_key_anyway: bool
) -> CascadeResult[Any] | None:
    """``autan runs resume`` of a cascade ``autan run --cascade`` started (``None`` for another
    run): the tiers built again from the journaled recipe, each checked like a run's recipe
    before any key is sent, and the cascade resumed at the tier that was running."""
    from autan.agent.cascade import Cascade
    from autan.cli.recipe import Recipe

    recorded = store.info(run_id).config.get(CLI_CASCADE_KEY)
    if not isinstance(recorded, dict):
        return None
    recipe = Recipe.from_journal(run_id, {"cli": recorded.get("recipe")})
    recipes = [_tier_recipe(recipe, str(spec)) for spec in recorded.get("tiers", [])]
    for tier in recipes:
        tier.check_key_destination(settings, send_key_anyway)
    tiers = [tier.build(store, settings) for tier in recipes]
    try:
        return Cascade(tiers, store=store).resume(run_id)
    finally:
        for agent in tiers:
            agent.close()


def _tier_recipe(recipe: Recipe, spec: str) -> Recipe:
    """The run's recipe on another model: the embedded model's own settings (``--decode``,
    ``--context``) only where it runs, a server's tool protocol only on a server."""
    embedded = spec == "local" or spec.startswith("gguf:")
    return dataclasses.replace(
        recipe,
        model=spec,
        tool_protocol=None if embedded else recipe.tool_protocol,
        decode=recipe.decode if embedded else None,
    )


def answer_text(result: CascadeResult[Any]) -> str:
    """The answer as printed: JSON for a typed one (``--output-schema``), else its text."""
    import json

    if isinstance(result.output, str):
        return result.output
    return json.dumps(result.output, ensure_ascii=False)


def _stream(
    cascade: Cascade[Any], task: str, args: argparse.Namespace, run_id: str
) -> CascadeResult[Any]:
    from autan.events import TextDelta

    if args.json:
        write_run(run_id, cascade.store is not None)
    elif cascade.store is not None and not args.quiet:
        print(f"cascade {run_id}", file=sys.stderr, flush=True)
    stream = cascade.stream(task, run_id=run_id)
    try:
        while True:
            try:
                event = next(stream)
            except StopIteration as stop:
                done: CascadeResult[Any] = stop.value
                return done
            if not isinstance(event, TextDelta):
                _show(event, args)
    finally:
        stream.close()


def _show(event: Event, args: argparse.Namespace) -> None:
    from autan.events import TierEnded, TierStarted

    if args.json:
        write_event(event)
    elif args.quiet:
        return
    elif isinstance(event, TierStarted):
        print(f"tier {event.tier}: {event.model} (run {event.run_id})", file=sys.stderr)
    elif isinstance(event, TierEnded):
        print(tier_line(event), file=sys.stderr, flush=True)
    else:
        show_live(event, sys.stderr, args.show_reasoning)
