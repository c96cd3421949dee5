"""Command line: ``python -m pruning_pipeline {run,info,figures,clean,version,init}`` (also
``pruning-pipeline``).

Every failure the user can act on (a bad option, a missing device or dataset, a loss
that is no longer finite, memory) prints one line and exits with status 2, having
written nothing to the cache; ``--debug`` or ``PRUNING_DEBUG=1`` shows the traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from .api import debugging
from .config import ConfigError, PipelineError, make_config
from .config.sources import config_values, mkdocs_options, parse_assignments
from .results import GLOBAL, STAGES


def _load_file(path: str) -> dict:
    """Options from a JSON or YAML file: a flat mapping, one under ``pruning:``, or
    ``mkdocs.yml`` itself (the ``pruning`` plugin's options over ``extra.pruning``)."""
    import yaml

    try:
        text = Path(path).read_text()
        data = json.loads(text) if path.endswith(".json") else yaml.safe_load(text) or {}
    except (OSError, ValueError, yaml.YAMLError) as error:
        reason = str(error).splitlines()[0]
        raise ConfigError(f"invalid config file {path}: {reason}") from None
    if isinstance(data, dict) and ("plugins" in data or "site_name" in data):
        return mkdocs_options(data)  # mkdocs.yml: the site's own run
    options = data.get("pruning", data) if isinstance(data, dict) else data
    if not isinstance(options, dict):
        raise ConfigError(f"invalid config file {path}: expected a mapping of option: value")
    return options


def config_from_args(args: argparse.Namespace):
    """The file's options, then ``PRUNING_<OPTION>`` variables, then ``--set``: the
    sources a build reads, in the same order, so both find the same cache entries."""
    values = config_values(_load_file(args.config) if args.config else {}, os.environ)
    values.update(parse_assignments(args.set or []))
    return make_config(values)


def summary_table(published: dict) -> str:
    """Stage × (accuracy, sparsity of each pruned layer and overall) of the published
    numbers (``metrics.json``: over several seeds their mean ± sd, as the site writes
    them), as text; with more than four layers only the overall sparsity. Where the run
    has lottery rounds, their table follows, as the methods page gives it."""
    from .formatting import fmt_pct
    from .seeds.value import read

    metrics = read(published)
    layers = metrics["prunable_layers"] + [GLOBAL] if len(metrics["prunable_layers"]) <= 4 else [GLOBAL]
    rows = [[stage, fmt_pct(metrics["stages"][stage]["accuracy"], "2")]
            + [fmt_pct(metrics["stages"][stage]["layers"][name]["sparsity"], "2") for name in layers]
            for stage in STAGES]
    text = _text_table(["stage", "accuracy"] + [f"{name} sparsity" for name in layers], rows)
    if "lottery" in metrics:
        from .site.lottery import lottery_rows

        header, rows = lottery_rows(metrics)
        text += "\n\nlottery tickets (Frankle & Carbin 2019), by round:\n" + _text_table(header, rows)
    return text


def _text_table(header: list[str], rows: list[list[str]]) -> str:
    """Columns padded to their widest cell, the first left-aligned, the others right."""
    widths = [max(len(row[i]) for row in rows + [header]) + 2 for i in range(len(header))]
    line = lambda cells: "".join(cell.ljust(w) if i == 0 else cell.rjust(w)  # noqa: E731
                                 for i, (cell, w) in enumerate(zip(cells, widths))).rstrip()
    return "\n".join([line(header), "-" * sum(widths), *map(line, rows)]).replace("\u00a0", " ")


def _cmd_run(args: argparse.Namespace) -> int:
    from .api import run
    from .report import Report
    from .site.published import publish

    config = config_from_args(args)
    report = Report()
    results = run(config, progress=not args.quiet, report=report)
    if results is None:  # a rank other than 0 of a torchrun job: rank 0 reports
        return 0
    published = publish(results.metrics)  # the numbers metrics.json and the site give
    manifest = published["manifest"]
    seeds = published.get("seeds", {}).get("seeds", [config.seed])
    print(f"run {results.run_id} on {manifest['device']} ({manifest['threads']} threads), "
          f"{manifest['steps']} steps, dataset {manifest['dataset']['name']}; entry {results.entry_dir}")
    print(f"over {len(seeds)} seeds ({', '.join(map(str, seeds))}): mean ± sd, as the site gives them"
          if len(seeds) > 1 else f"seed {seeds[0]}")
    print(summary_table(published))
    for warning in published.get("warnings", []):
        print(f"warning: {warning}")
    print(f"\nwhere the time went:\n{report.table()}")
    return 0


def _cmd_plan(args: argparse.Namespace) -> int:
    """Every training job a build of this configuration runs, before any runs."""
    from .api import device_key
    from .jobs.plan import plan
    from .keys.store import Cache
    from .train.device import resolve_device
    from .train.keyed import ALONE, BATCHED

    config = config_from_args(args)
    batched = config.batches_seeds(resolve_device(config.device).type)
    jobs = plan([config.for_seed(seed) for seed in config.seed_values], device_key(config.device),
                BATCHED if batched else ALONE)
    cache = Cache(config.cache_dir)
    cached = {job.entry for job in jobs if cache.problem(*job.entry) is None}
    print(f"{len(jobs)} training jobs of {config.seeds} seed{'s' * (config.seeds > 1)}: {len(cached)} cached, "
          f"{len(jobs) - len(cached)} to run ({_runs_on(config, batched)})")
    rows = [(job.name, job.kind, job.key, f"{job.needs[0]} {job.needs[1]}" if job.needs else "-",
             "cached" if job.entry in cached else "to run") for job in jobs]
    header = ("job", "kind", "cache key", "needs", "state")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0


def _runs_on(config, batched: bool) -> str:
    """Where the plan's jobs run, in words."""
    if batched:
        return ("every seed's runs together, as batched ensembles in the build's own process (batch_seeds), where "
                "the model allows: a model vmap cannot take trains each seed as jobs, with other keys")
    if config.world_size > 1:
        return f"the plain and in-loop runs under torchrun on {config.world_size} processes, the rest by rank 0"
    if config.executor == "serial":
        return "executor serial: in the build's own process"
    if config.executor == "dask":
        return f"executor dask: {config.scheduler or 'DASK_SCHEDULER_ADDRESS, or a LocalCluster'}"
    from .jobs.execute import local_workers

    count, gpus = local_workers(config)
    where = f"GPUs {', '.join(gpus)}" if gpus else f"{config.threads} thread{'s' * (config.threads > 1)} each"
    return f"executor auto: up to {count} worker process{'es' * (count > 1)}, {where}"


def _cmd_info(args: argparse.Namespace) -> int:
    from .keys.store import Cache
    from .train.device import available_devices, environment, resolve_device

    config = config_from_args(args)
    env = environment(resolve_device(config.device), config.threads)
    print(f"python {env['python']}, torch {env['torch']}, numpy {env['numpy']}, {env['platform']}")
    print(f"devices present: {', '.join(available_devices())}; device={config.device} uses {env['device']}")
    entries = Cache(config.cache_dir).entries()
    print(f"cache {config.cache_dir}: {len(entries)} entries, {sum(e['bytes'] for e in entries) / 1e6:.1f} MB")
    for kind in sorted({e["kind"] for e in entries}):
        of_kind = [e for e in entries if e["kind"] == kind]
        print(f"  {kind:<9} {len(of_kind):>3} entries  {sum(e['bytes'] for e in of_kind) / 1e6:7.1f} MB")
    for entry in entries:
        print(f"  {entry['kind']:<9} {entry['key']}  {entry['bytes'] / 1e6:7.1f} MB  {entry['state']}")
    return 0


def _cmd_clean(args: argparse.Namespace) -> int:
    from .api import used_entries
    from .keys.store import Cache

    config = config_from_args(args)
    cache = Cache(config.cache_dir)
    staging = [] if args.dry_run else cache.collect_staging()
    removed = cache.remove_unused(used_entries(config), dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    for entry in removed:
        print(f"  {verb} {entry['kind']:<9} {entry['key']}  {entry['bytes'] / 1e6:7.1f} MB")
    print(f"{verb} {len(removed)} entries ({sum(e['bytes'] for e in removed) / 1e6:.1f} MB) that this "
          f"configuration does not use" + (f", and {len(staging)} abandoned staging directories" if staging else ""))
    return 0


def _cmd_figures(args: argparse.Namespace) -> int:
    from .api import run, run_seed
    from .site.publish import published_files

    config = config_from_args(args)
    progress = not args.quiet
    results = run(config, progress) if args.seed is None else run_seed(config, args.seed, progress)
    if results is None:  # a rank other than 0 of a torchrun job: rank 0 writes the files
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    names = []
    for name, data in published_files(results):
        (out / name).write_bytes(data)
        names.append(name)
    print(f"wrote {len(names)} files (every figure as png, svg, pdf, csv and dark png/svg; "
          f"metrics.json; figures.json) to {out}")
    return 0


def _cmd_version(args: argparse.Namespace) -> int:
    """The version ``mike deploy`` publishes this configuration's run as; trains nothing."""
    from . import __version__
    from .api import published_run_id
    from .site.versions import version_name

    print(version_name(__version__, published_run_id(config_from_args(args))))
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    from .site.starter import init_project

    written = init_project(Path(args.directory), force=args.force, eject=args.eject)
    print(f"wrote {len(written)} files into {args.directory}: "
          f"{', '.join(str(path.relative_to(args.directory)) for path in written[:4])}"
          f"{', …' if len(written) > 4 else ''}")
    print(f"next: cd {args.directory} && mkdocs build   (PRUNING_PROFILE=quick for a short first run)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pruning_pipeline", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, handler, text in (
        ("run", _cmd_run, "train, prune and measure (cached), then print a summary"),
        ("plan", _cmd_plan, "list every training job a build runs, which are cached and what each needs"),
        ("info", _cmd_info, "show devices, versions and cache entries"),
        ("figures", _cmd_figures, "write every figure (png/svg/pdf/csv) without MkDocs"),
        ("clean", _cmd_clean, "remove cache entries this configuration does not use"),
        ("version", _cmd_version, "print the version a publish deploys this run as (mike), training nothing"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--config", help="JSON or YAML file of options")
        sub.add_argument("--set", action="append", metavar="KEY=VALUE", help="override one option")
        sub.add_argument("--quiet", action="store_true", help="no progress bars")
        sub.add_argument("--debug", action="store_true", help="show the traceback of a failure")
        if name == "clean":
            sub.add_argument("--dry-run", action="store_true", help="list what would be removed")
        if name == "figures":
            sub.add_argument("--out", required=True, help="directory for the figure files")
            sub.add_argument("--seed", type=int, help="one of the run's seeds: that seed's own figures and numbers")
        sub.set_defaults(handler=handler)
    init = commands.add_parser("init", help="start a project: mkdocs.yml and docs/index.md using the plugin")
    init.add_argument("directory", nargs="?", default=".", help="the project folder (default: here)")
    init.add_argument("--force", action="store_true", help="replace files that exist")
    init.add_argument("--eject", action="store_true", help="copy every page template into docs/ to edit")
    init.add_argument("--debug", action="store_true", help="show the traceback of a failure")
    init.set_defaults(handler=_cmd_init)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        return args.handler(args)
    except PipelineError as error:
        if args.debug or debugging():
            raise
        print(f"error: {_rank_prefix()}{error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # every worker is stopped, nothing is half-written
        print("interrupted: what finished is cached (training jobs included); the next run computes the rest",
              file=sys.stderr)
        return 130
    except Exception as error:  # in a torchrun job: one line per rank, for the launcher to pick
        if args.debug or debugging() or not _rank_prefix():
            raise
        first = str(error).splitlines()[0][:300] if str(error) else ""
        print(f"error: {_rank_prefix()}{type(error).__name__}: {first} (--debug shows the traceback)",
              file=sys.stderr)
        return 1


def _rank_prefix() -> str:
    """``rank 1: `` inside a torchrun job of several processes, else nothing."""
    return f"rank {os.environ.get('RANK', '?')}: " if int(os.environ.get("WORLD_SIZE", "1")) > 1 else ""



if __name__ == "__main__":
    sys.exit(main())
