#!/usr/bin/env python3
"""Checks the man pages against the programs' --help (ctest: man_pages).

    check_man_pages.py --man-dir build/man PROGRAM...

For each PROGRAM, MAN_DIR/NAME.1 must name every flag that `PROGRAM --help`
names (and, for a program with subcommands, every flag of each
`PROGRAM SUB --help` and `PROGRAM SUB ACTION --help`); and each page must name no flag that none of the
programs' help names, which catches prose in deploy/man/*.h2m about a flag
that was renamed or removed. The pages are made from --help
(make_man_page.py), so a failure means the generator or an include file is
wrong, or the pages are older than the programs: build jobq_man_pages.
"""

import argparse
import os
import re
import subprocess
import sys

FLAG = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")


def run_help(command):
    done = subprocess.run([*command, "--help"], capture_output=True, encoding="utf-8",
                          check=False, env={**os.environ, "LC_ALL": "C"})
    if done.returncode != 0:
        sys.exit(f"check_man_pages: `{' '.join(command)} --help` exited {done.returncode}: "
                 f"{done.stderr.strip()}")
    return done.stdout


def listed_subcommands(text):
    """The names under "Subcommands:" in a CLI11 help text."""
    listed = re.search(r"^Subcommands:\n((?:  .*\n?)+)", text, re.M)
    if not listed:
        return []
    # A line indented further is a description's next line.
    return [line.split()[0] for line in listed.group(1).splitlines() if line[2:3] != " "]


def help_flags(program):
    """{flag: the command whose --help names it}, subcommands and their
    actions (jobq schedule add) included."""
    text = run_help([program])
    flags = {flag: "--help" for flag in FLAG.findall(text)}
    for sub in listed_subcommands(text):
        sub_text = run_help([program, sub])
        for flag in FLAG.findall(sub_text):
            flags.setdefault(flag, f"{sub} --help")
        for action in listed_subcommands(sub_text):
            for flag in FLAG.findall(run_help([program, sub, action])):
                flags.setdefault(flag, f"{sub} {action} --help")
    return flags


def page_text(path):
    """The words of a man page's source, roff escapes removed."""
    with open(path, encoding="utf-8") as file:
        lines = [line for line in file if not line.startswith('.\\"')]
    text = "".join(lines)
    text = re.sub(r"\\f(\[[^]]*\]|\(..|.)", "", text)  # font changes
    text = text.replace("\\-", "-").replace("\\&", "").replace("\\e", "\\")
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--man-dir", required=True)
    parser.add_argument("programs", nargs="+")
    args = parser.parse_args()

    problems = []
    known = set()
    pages = {}
    for program in args.programs:
        name = os.path.basename(program)
        page = os.path.join(args.man_dir, f"{name}.1")
        if not os.path.exists(page):
            problems.append(f"{page} is missing: build the target jobq_man_pages")
            continue
        flags = help_flags(program)
        known.update(flags)
        pages[name] = set(FLAG.findall(page_text(page)))
        for flag, where in sorted(flags.items()):
            if flag not in pages[name]:
                problems.append(f"{name}.1 lacks {flag}, which `{name} {where}` names")
    for name, flags in sorted(pages.items()):
        for flag in sorted(flags - known):
            problems.append(f"{name}.1 names {flag}, which no program's --help names "
                            f"(deploy/man/{name}.h2m?)")
    for problem in problems:
        print(f"check_man_pages: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"check_man_pages: {len(pages)} pages name every flag of their programs' --help, "
          "and no other")
    return 0


if __name__ == "__main__":
    sys.exit(main())
