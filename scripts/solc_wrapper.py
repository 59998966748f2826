#!/usr/bin/env python3
"""Make the npm ``solcjs`` look like a native ``solc`` to py-solc-x.

py-solc-x expects the native command line: ``solc --version`` printing a ``Version:`` line, and
``solc --standard-json [--base-path P] [--allow-paths A]`` answering with bare JSON. solcjs
differs in three ways this script papers over: its ``--version`` prints only the version, it
prints ``>>>`` notice lines before the JSON, and it has no ``--allow-paths`` (its import
callback reads any file under the base path, so the flag carries nothing we need).

solcjs's request and answer go through temporary files, not pipes: node exits before a pipe
has taken more than its first 64 KiB of the answer, so a large answer (two contracts with their
metadata) would arrive cut off mid-string; and solcjs reads its request with one synchronous
read of fd 0, which fails with EAGAIN when a pipe has not been filled yet. Regular files are
read and written whole.

Standard library only: py-solc-x runs this as a plain executable, outside the virtualenv.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOLCJS = REPO_ROOT / "node_modules" / ".bin" / "solcjs"

#: Flags that take a value; the value is passed on (base path) or dropped (allow paths).
PASSED_WITH_VALUE = {"--base-path", "--include-path"}
DROPPED_WITH_VALUE = {"--allow-paths"}


def solcjs_path() -> Path:
    """The solcjs to run; ``SENTRACE_SOLCJS`` overrides the repository's node_modules copy."""
    return Path(os.environ.get("SENTRACE_SOLCJS", DEFAULT_SOLCJS))


def print_version() -> int:
    proc = subprocess.run(
        [str(solcjs_path()), "--version"], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        return proc.returncode
    version = proc.stdout.strip().splitlines()[-1].strip()
    sys.stdout.write(f"solc, the solidity compiler commandline interface\nVersion: {version}\n")
    return 0


def strip_notices(stdout: str) -> str:
    """Drop the ``>>>`` notice lines solcjs prints around its JSON answer."""
    return "\n".join(line for line in stdout.splitlines() if not line.startswith(">>>")).strip()


def translate_args(args: list[str]) -> list[str] | str:
    """Native solc arguments as solcjs arguments, or the first unsupported flag."""
    out: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--standard-json":
            out.append(arg)
        elif arg in PASSED_WITH_VALUE and i + 1 < len(args):
            out.extend([arg, args[i + 1]])
            i += 1
        elif arg in DROPPED_WITH_VALUE and i + 1 < len(args):
            i += 1
        else:
            return arg
        i += 1
    return out


def run_standard_json(args: list[str]) -> int:
    translated = translate_args(args)
    if isinstance(translated, str):
        # The exact phrase py-solc-x turns into UnknownOption.
        sys.stderr.write(f"unrecognised option '{translated}'\n")
        return 1
    with tempfile.TemporaryFile() as request, tempfile.TemporaryFile() as answer:
        request.write(sys.stdin.buffer.read())
        request.seek(0)
        proc = subprocess.run(
            [str(solcjs_path()), *translated],
            stdin=request,
            stdout=answer,
            stderr=subprocess.PIPE,
            check=False,
        )
        answer.seek(0)
        stdout = answer.read().decode("utf-8")
    sys.stderr.write(proc.stderr.decode("utf-8", errors="replace"))
    sys.stdout.write(strip_notices(stdout) + "\n")
    return proc.returncode


def main(argv: list[str]) -> int:
    if argv in (["--version"], ["-V"]):
        return print_version()
    if "--standard-json" in argv:
        return run_standard_json(argv)
    sys.stderr.write(
        "unrecognised option: only --version and --standard-json are supported by this wrapper\n"
    )
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
