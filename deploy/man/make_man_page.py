#!/usr/bin/env python3
"""Writes a program's man page from its --help and --version (help2man).

    make_man_page.py [--subcommands] --include PROG.h2m --output PROG.1 PROGRAM

The options come from the program itself, so the page cannot drift from
--help; the prose that --help lacks (description, signals, files, examples,
see also) comes from the include file, in help2man's [SECTION] format.

With --subcommands (jobq), each subcommand listed under "Subcommands:" in
`PROGRAM --help` gets its own part of a SUBCOMMANDS section, made from
`PROGRAM SUB --help`: its usage, description, arguments, options and notes;
so does each action of a subcommand that has them (`PROGRAM SUB ACTION --help`).

help2man runs a stand-in that prints the output captured here, so that a
program that fails (or prints its version badly) stops the build instead of
giving a page of error messages. Offline: help2man, python3 and the built
program only. cmake/ManPages.cmake runs it; deploy/man/check_man_pages.py
checks the result.
"""

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile

# CLI11 writes an option's name in the first 30 columns, its description
# after them, or on the next lines indented by 30 when the name is longer.
NAME_COLUMNS = 30


def fail(message):
    sys.exit(f"make_man_page: {message}")


def run(program, *args):
    command = [program, *args]
    done = subprocess.run(command, capture_output=True, encoding="utf-8", check=False,
                          env={**os.environ, "LC_ALL": "C"})
    if done.returncode != 0 or not done.stdout.strip():
        fail(f"`{shlex.join(command)}` exited {done.returncode}: {done.stderr.strip()}")
    return done.stdout


def subcommand_names(help_text):
    """The names listed under "Subcommands:" in a CLI11 help text."""
    match = re.search(r"^Subcommands:\n((?:  .*\n?)+)", help_text, re.M)
    if not match:
        fail("--subcommands: the program's --help lists no \"Subcommands:\"")
    return [line.split()[0] for line in match.group(1).splitlines() if line[2:3] != " "]


def without_subcommand_list(help_text):
    """The help text without its "Subcommands:" block, which the
    SUBCOMMANDS section replaces."""
    return re.sub(r"^Subcommands:\n(?:  .*\n?)+\n?", "", help_text, flags=re.M)


def roff_text(text):
    """Escapes text for roff; flags in bold, as help2man writes them."""
    text = text.replace("\\", "\\e")
    text = re.sub(r"(?<![\w-])(--?[A-Za-z][\w-]*)", r"\\fB\1\\fR", text)
    text = text.replace("-", "\\-")
    text = "".join(c if ord(c) < 128 else f"\\[u{ord(c):04X}]" for c in text)
    return re.sub(r"^([.'])", r"\\&\1", text)


def split_entry(line, next_line):
    """(name, description) of one entry line of a Positionals/Options block."""
    gap = re.search(r"\S( {2,})(?=\S)", line)
    if gap:
        return line[:gap.start(1)].strip(), line[gap.end(1):].strip()
    if next_line.startswith(" " * NAME_COLUMNS):
        return line.strip(), ""  # a long name: the description follows
    if len(line) > NAME_COLUMNS and line[NAME_COLUMNS - 1] == " ":
        return line[:NAME_COLUMNS].strip(), line[NAME_COLUMNS:].strip()
    return line.strip(), ""


def with_descriptions_below(help_text):
    """The help text with each entry's description on the line below its
    name: where a name fills CLI11's columns only one space is left before
    the description, and help2man then takes both for the name."""
    lines = help_text.split("\n")
    out = []
    in_entries = False
    for i, line in enumerate(lines):
        if line in ("Positionals:", "Options:"):
            in_entries = True
        elif not line.strip():
            in_entries = False
        elif in_entries and not line.startswith(" " * NAME_COLUMNS):
            next_line = lines[i + 1] if i + 1 < len(lines) else ""
            name, description = split_entry(line, next_line)
            if description:
                out += [f"  {name}", " " * NAME_COLUMNS + description]
                continue
        out.append(line)
    return "\n".join(out)


def subcommand_roff(program_name, help_text):
    """One subcommand's CLI11 --help as roff: .SS usage, description,
    .TP entries for arguments and options, then its notes."""
    lines = help_text.rstrip("\n").split("\n")
    usage = next((i for i, line in enumerate(lines) if line.startswith("Usage: ")), None)
    if usage is None:
        fail(f"{program_name}: no \"Usage:\" line in\n{help_text}")
    # Paths the program was run by are not in the page.
    synopsis = re.sub(r"^\S*/", "", lines[usage][len("Usage: "):])
    out = [f'.SS "{roff_text(synopsis)}"']
    out += [roff_text(line) for line in lines[:usage] if line.strip()]
    block = None  # "entries" inside Positionals:/Options:, "notes" after them
    verbatim = False  # in a .nf block of indented note lines
    in_paragraph = False  # after a plain note line
    i = usage + 1
    while i < len(lines):
        line = lines[i]
        next_line = lines[i + 1] if i + 1 < len(lines) else ""
        i += 1
        if line in ("Positionals:", "Options:"):
            block = "entries"
            continue
        if not line.strip():
            if block == "entries":
                block = "notes"
            if verbatim:
                out.append(".fi")
            verbatim = in_paragraph = False
            continue
        if block == "entries":
            if line.startswith(" " * NAME_COLUMNS):
                out.append(roff_text(line.strip()))  # a description's next line
                continue
            name, description = split_entry(line, next_line)
            if name == "-h,--help":
                continue  # every subcommand has it; OPTIONS lists it once
            tag = roff_text(name)
            if not name.startswith("-"):  # a positional argument
                tag = re.sub(r"^(\S+)", r"\\fI\1\\fR", tag)
            out += [".TP", tag]
            if description:
                out.append(roff_text(description))
            continue
        # Notes: plain lines make paragraphs; indented ones (examples,
        # sample output) are kept as they are.
        if line.startswith(" "):
            if not verbatim:
                out += [".nf"] if in_paragraph else [".PP", ".nf"]
                verbatim = True
        else:
            if verbatim:
                out.append(".fi")
                verbatim = in_paragraph = False
            # "Examples:" over indented lines starts a paragraph of its own.
            if not in_paragraph or (line.endswith(":") and next_line.startswith(" ")):
                out.append(".PP")
                in_paragraph = True
        out.append(roff_text(line))
    if verbatim:
        out.append(".fi")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("program", help="the built program")
    parser.add_argument("--include", required=True, help="help2man include file (PROG.h2m)")
    parser.add_argument("--output", required=True, help="the man page to write (PROG.1)")
    parser.add_argument("--subcommands", action="store_true",
                        help="add a SUBCOMMANDS section from each subcommand's --help")
    parser.add_argument("--help2man", default="help2man", help="the help2man program")
    args = parser.parse_args()

    version_text = run(args.program, "--version")
    version_match = re.match(r"(\S+) (\d\S*)\n", version_text)
    if not version_match:
        fail(f"{args.program} --version must print \"NAME VERSION\", not {version_text!r}")
    name, version = version_match.groups()
    help_text = run(args.program, "--help")

    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        includes = []
        if args.subcommands:
            parts = []
            for sub in subcommand_names(help_text):
                parts.append(f"{name} {sub}")
                # A subcommand with actions of its own (jobq schedule add|list|...)
                # documents each of them too.
                sub_help = run(args.program, sub, "--help")
                if re.search(r"^Subcommands:\n", sub_help, re.M):
                    parts += [f"{name} {sub} {action}" for action in subcommand_names(sub_help)]
            sections = [subcommand_roff(part, run(args.program, *part.split()[1:], "--help"))
                        for part in parts]
            help_text = without_subcommand_list(help_text)
            subcommands_include = os.path.join(work, "subcommands.h2m")
            with open(subcommands_include, "w", encoding="utf-8") as file:
                file.write("[SUBCOMMANDS]\n")
                file.write(f"What \\fB{name} \\fISUBCOMMAND\\fB \\-\\-help\\fR prints, for each:\n")
                file.write("".join(sections))
            includes.append(subcommands_include)
        help_text = with_descriptions_below(help_text)
        for file_name, text in (("help", help_text), ("version", version_text)):
            with open(os.path.join(work, file_name), "w", encoding="utf-8") as file:
                file.write(text)
        stand_in = os.path.join(work, name)  # help2man names the page after it
        with open(stand_in, "w", encoding="utf-8") as file:
            file.write('#!/bin/sh\ndir=$(dirname "$0")\n'
                       'if [ "$1" = --version ]; then cat "$dir/version"; '
                       'else cat "$dir/help"; fi\n')
        os.chmod(stand_in, 0o755)
        # SUBCOMMANDS first: help2man puts other sections in the order it
        # meets them, after OPTIONS.
        command = [args.help2man, "--no-info", "--section", "1", "--source", f"jobq {version}"]
        for include in [*includes, args.include]:
            command += ["--include", include]
        command += ["--output", args.output, stand_in]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            fail(f"help2man failed: {done.stderr.strip()}")


if __name__ == "__main__":
    main()
