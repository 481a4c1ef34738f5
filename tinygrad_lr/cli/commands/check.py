"""``tinygrad-lr check``: check a learner's exercise file, write a new stub, or grade a folder."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from ..errors import UsageError
from ..output import strict_json

_FUNCTIONS = re.compile(r"^[A-Za-z_]\w*(,[A-Za-z_]\w*)*$")


HELP_ORDER = 60  # where `tinygrad-lr --help` lists this command


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check",
        help="check an exercise file, or grade a folder of them",
        description="Check a learner's solution to one of the seven exercises (list them with --list; "
        "start one with --new N). The file runs in a separate process with a time and a memory limit "
        "and imports nothing from tinygrad_lr; its answers are compared with autodiff and finite "
        "differences, and a wrong answer is explained with numbers. Exit status: 0 pass, 1 wrong or "
        "not done yet, 2 could not run (a crash, an endless loop, a missing function, bad options).",
    )
    p.add_argument(
        "target",
        nargs="?",
        metavar="FILE.py[:FUNCTION]",
        help="the file to check; ':NAME' (or ':NAME1,NAME2' for exercises 4 and 6) checks "
        "functions under other names",
    )
    p.add_argument(
        "--exercise",
        type=int,
        metavar="N",
        help="which exercise (1-6; default: the '# tinygrad-lr exercise N' line of the file)",
    )
    p.add_argument(
        "--hint",
        type=int,
        default=0,
        metavar="LEVEL",
        help="show hints up to LEVEL (1-3) when the answer is not right yet (default 0)",
    )
    p.add_argument("--json", action="store_true", help="print JSON (for autograders) instead of text")
    p.add_argument(
        "--time-limit",
        type=float,
        default=None,
        metavar="S",
        help="seconds the file may take to load, and again to be checked (default 5)",
    )
    p.add_argument(
        "--memory-limit",
        type=float,
        default=None,
        metavar="MB",
        help="memory the learner's code may allocate, in MB (default 512)",
    )
    p.add_argument(
        "--new",
        type=int,
        metavar="N",
        help="write exercise N's stub to FILE (default exN_<name>.py here); never overwrites",
    )
    p.add_argument("--list", action="store_true", help="list the exercises and their functions")
    p.add_argument(
        "--grade",
        metavar="DIR",
        help="teacher's mode: check every *.py file in DIR and write a table of results",
    )
    p.add_argument(
        "--out",
        metavar="FILE",
        default="grades.csv",
        help="with --grade: the table, .csv (one row per file) or .json (default grades.csv)",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=2,
        metavar="N",
        help="with --grade: files checked at the same time (default 2)",
    )
    p.set_defaults(func=run)


def _split_target(target: str) -> tuple[str, list[str] | None]:
    path, sep, names = target.rpartition(":")
    if sep and path and _FUNCTIONS.match(names):
        return path, names.split(",")
    return target, None


def _limits(args: argparse.Namespace) -> tuple[float, float]:
    from ...exercises.base import DEFAULT_TIME_LIMIT
    from ...exercises.sandbox import DEFAULT_MEMORY_LIMIT

    t = DEFAULT_TIME_LIMIT if args.time_limit is None else args.time_limit
    m = DEFAULT_MEMORY_LIMIT if args.memory_limit is None else args.memory_limit
    if not (t > 0 and t < 1e6):
        raise UsageError(f"--time-limit must be a number of seconds > 0, got {args.time_limit}")
    if not (m >= 16 and m < 1e7):
        raise UsageError(f"--memory-limit must be at least 16 (MB), got {args.memory_limit}")
    return t, m


def run(args: argparse.Namespace) -> int:
    from ... import exercises

    if args.exercise is not None and args.exercise not in exercises.EXERCISES:
        raise UsageError(f"--exercise must be one of 1-{len(exercises.EXERCISES)}, got {args.exercise}")
    if not 0 <= args.hint <= 3:
        raise UsageError(f"--hint must be 0, 1, 2 or 3, got {args.hint}")
    modes = [
        m for m, on in (("--new", args.new is not None), ("--list", args.list), ("--grade", args.grade)) if on
    ]
    if len(modes) > 1:
        raise UsageError(f"{' and '.join(modes)} cannot be combined")
    if args.list:
        return _list()
    if args.new is not None:
        return _new(args.new, args.target)
    if args.grade:
        return _grade(args)
    if not args.target:
        raise UsageError(
            "say which file to check (tinygrad-lr check FILE.py), or use --new N, --list or --grade DIR"
        )
    return _check(args)


def _list() -> int:
    from ...exercises import EXERCISES

    for ex in EXERCISES.values():
        fns = ", ".join(f"{f}()" for f in ex.functions)
        print(f"{ex.number}  {ex.title:<48} {ex.filename:<28} {fns}")
    return 0


def _new(number: int, target: str | None) -> int:
    from ..._files import output_path, write_new_file
    from ...exercises import get, stub

    try:
        ex = get(number)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    path = output_path(target or ex.filename, "the stub", kind="file")
    if not write_new_file(path, stub(number).encode("utf-8")):
        raise UsageError(f"{path} already exists; not overwriting it (name another file)")
    print(f"wrote {path}: exercise {number}, {ex.title}. Fill it in, then: tinygrad-lr check {path}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from ..._files import input_file
    from ...exercises.sandbox import run_file

    path, names = _split_target(args.target)
    input_file(path)  # a directory, a missing file, a path through a file: each called what it is
    t, m = _limits(args)
    result = run_file(path, args.exercise, names, hints=args.hint, time_limit=t, memory_limit=m)
    print(strict_json(result.to_dict(), indent=2) if args.json else result)
    return result.exit_code


def _grade(args: argparse.Namespace) -> int:
    from ..._files import atomic_file, output_path
    from ...exercises.sandbox import grade, submissions, table_text

    if args.target:
        raise UsageError("--grade DIR checks every file in DIR; do not name a file as well")
    if args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {args.jobs}")
    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".json"):
        raise UsageError(f"--out must end in .csv or .json, got {args.out}")
    output_path(args.out, "--out", kind="file")  # before any grading: a wrong path costs nothing
    try:
        files = submissions(args.grade)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if not files:
        raise UsageError(f"{args.grade} holds no .py files to grade")
    if out.resolve() in {f.resolve() for f in files}:
        raise UsageError(f"--out {args.out} is one of the submissions; name another file")
    t, m = _limits(args)
    with atomic_file(out) as fh:  # made before the grading: a folder that takes no file costs nothing
        results = grade(files, args.exercise, jobs=args.jobs, time_limit=t, memory_limit=m, hints=args.hint)
        fh.write(table_text(results, out).encode("utf-8"))
    counts = {s: sum(r.status == s for r in results) for s in ("pass", "wrong", "not done", "error")}
    if args.json:
        print(strict_json([r.to_dict() for r in results], indent=2))
    else:
        width = max(len(Path(r.file or "").name) for r in results)
        for r in results:
            first = r.diagnosis.splitlines()[0] if r.diagnosis else ""
            short = first if len(first) <= 90 else first[:87] + "..."
            which = "ex?" if r.exercise is None else f"ex{r.exercise}"
            print(f"{Path(r.file or '').name:<{width}}  {which}  {r.status:<8}  {short}")
        print(
            f"wrote {out}: {counts['pass']} pass, {counts['wrong']} wrong, {counts['not done']} not done, "
            f"{counts['error']} could not run ({len(results)} files)"
        )
    return 0
