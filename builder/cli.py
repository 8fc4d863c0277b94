"""Argument parsing for build.py: each command calls one function; domain errors become one
clean message per problem and an exit code (a traceback only with --debug)."""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from builder.errors import BuildError, Problem

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.run(args))
    except BuildError as exc:
        _report(exc.problems)
        print(f"{exc}: nothing was written", file=sys.stderr)
        if args.debug:
            traceback.print_exc()
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, default=Path("config.yml"),
                        help="the help center's config.yml (default: ./config.yml); content/ "
                             "and themes/ are found next to it")
    common.add_argument("--debug", action="store_true", help="show tracebacks")
    parser = argparse.ArgumentParser(
        prog="build.py", description="Build a help center from markdown articles in git.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    build = sub.add_parser("build", parents=[common], help="build the static site",
                           description="Check everything, then write the site. On any error "
                                       "nothing is written and the previous site stays.")
    build.add_argument("--out", type=Path, default=None, help="output folder (default: ./site)")
    build.add_argument("--drafts", action="store_true", help="include articles with draft: true")
    build.add_argument("--force", action="store_true",
                       help="rebuild even when no input changed since the last build")
    build.set_defaults(run=_build)

    serve = sub.add_parser("serve", parents=[common], help="build, serve and rebuild on save",
                           description="Preview the site on localhost, drafts included, from a "
                                       "folder of its own; every save rebuilds only what "
                                       "changed and reloads the browser, and a failed rebuild "
                                       "shows its errors on the page.")
    serve.add_argument("--out", type=Path, default=None,
                       help="the preview's own folder (default: .preview/ next to config.yml); "
                            "never the build's site/")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--no-drafts", action="store_true", help="hide draft articles")
    serve.set_defaults(run=_serve)

    check = sub.add_parser("check", parents=[common], help="validate without writing",
                           description="Report every problem in config and content as "
                                       "path:line: message; exit 1 when there are errors.")
    check.add_argument("--strict", action="store_true", help="count warnings as errors")
    check.set_defaults(run=_check)

    new = sub.add_parser("new", parents=[common], help="start an article: LANG/COLLECTION/SLUG",
                         description="Create content/LANG/COLLECTION/SLUG.md with front matter.")
    new.add_argument("spec", metavar="LANG/COLLECTION/SLUG")
    new.add_argument("--title", help="the article's title")
    new.add_argument("--author", help="an author key from config.yml")
    new.set_defaults(run=_new)

    search = sub.add_parser("search", help="search a built site as readers do (runs the "
                                           "site's own search code in node)")
    search.add_argument("--debug", action="store_true", help="show tracebacks")
    _add_search_arguments(search)

    reference = sub.add_parser("config-reference", help="print the configuration reference "
                                                        "(markdown) generated from the settings")
    reference.add_argument("--debug", action="store_true")
    reference.set_defaults(run=_reference)
    return parser


def _out_dir(args: argparse.Namespace) -> Path:
    out: Path = args.out if args.out is not None else args.config.parent / "site"
    return out


def _build(args: argparse.Namespace) -> int:
    from builder.pipeline import build, stderr_progress
    from builder.preview_dir import refuse_publishing

    refuse_publishing(_out_dir(args))  # a preview's drafts must not become the site
    report = build(args.config, _out_dir(args), include_drafts=args.drafts,
                   progress=stderr_progress, force=args.force)
    if report.project is None:
        print(f"nothing changed since the last build into {_out_dir(args)} "
              f"({report.seconds:.2f} s)")
        return EXIT_OK
    _report(report.project.warnings)
    stats = report.stats
    print(f"built {report.pages} pages into {_out_dir(args)} in {report.seconds:.2f} s "
          f"({stats.written} written, {stats.unchanged} unchanged, {stats.removed} removed, "
          f"{stats.bytes_total / 1e6:.1f} MB)")
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from builder.project import load_project

    started = time.perf_counter()
    project = load_project(args.config)
    problems = project.errors + project.warnings
    _report(problems)
    errors = len(project.errors) + (len(project.warnings) if args.strict else 0)
    pages = sum(len(s.articles) for s in project.sites.values())
    if errors:
        print(f"{errors} error{'s' if errors != 1 else ''} in {pages} articles", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"ok: {pages} articles, {len(project.warnings)} warnings "
          f"({time.perf_counter() - started:.2f} s)")
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    from builder.serve import serve

    return serve(args.config, args.out, host=args.host, port=args.port,
                 include_drafts=not args.no_drafts)


def _new(args: argparse.Namespace) -> int:
    from builder.config.loader import load_config
    from builder.scaffold import new_article

    config = load_config(args.config)
    path = new_article(config, args.spec, title=args.title, author=args.author)
    print(f"created {path}")
    return EXIT_OK


def _add_search_arguments(parser: argparse.ArgumentParser) -> None:
    try:
        from builder.search import command
    except ImportError:  # the search runner is optional at import time (e.g. mid-install)
        parser.set_defaults(run=lambda _args: _unavailable("search"))
        return
    command.add_arguments(parser)
    parser.set_defaults(run=command.run)


def _reference(_args: argparse.Namespace) -> int:
    from builder.config.reference import reference_markdown

    sys.stdout.write(reference_markdown())
    return EXIT_OK


def _unavailable(what: str) -> int:
    print(f"{what} is not available in this installation", file=sys.stderr)
    return EXIT_USAGE


def _report(problems: list[Problem]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)
