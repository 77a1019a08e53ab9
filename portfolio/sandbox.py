"""Run a parser on an uploaded file in a child process, with a time and memory budget.

The child (`parsers.py`, run as a script in isolated mode) limits its own address space, CPU
time and output size before it opens the file; here a wall-clock timeout kills it if it hangs
anyway. A file that exceeds a limit or crashes the parser gives a `ParseFailed` with a reason a
person can read; nothing the file does can hang or exhaust the web or export process.

Settings (config.py): PARSE_SECONDS (20), PARSE_MEMORY_MB (768).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from flask import current_app, has_app_context

PARSERS = Path(__file__).with_name("parsers.py")
DEFAULTS = {"PARSE_SECONDS": 20, "PARSE_MEMORY_MB": 768}


class ParseFailed(Exception):
    """The file could not be parsed within its budget; str() says why, in plain words."""


def _setting(name: str) -> int:
    if has_app_context():
        return int(current_app.config.get(name, DEFAULTS[name]))
    return DEFAULTS[name]


def run(task: str, *paths: Path, extra: tuple[str, ...] = ()) -> dict:
    """Run parsers.py TASK on PATHS (then EXTRA arguments) under the budget; its JSON answer,
    or ParseFailed."""
    seconds, memory = _setting("PARSE_SECONDS"), _setting("PARSE_MEMORY_MB")
    size = max((p.stat().st_size for p in paths[:1]), default=0)
    file_mb = max(64, 4 * (size >> 20) + 16)  # a normalised copy is rarely larger than this
    command = [sys.executable, "-I", str(PARSERS), str(memory), str(seconds), str(file_mb),
               task, *map(str, paths), *extra]
    try:
        done = subprocess.run(command, capture_output=True, timeout=seconds + 5,  # noqa: S603
                              check=False)
    except subprocess.TimeoutExpired:
        raise ParseFailed(f"it took longer than {seconds} seconds to read") from None
    if done.returncode != 0 or not done.stdout:
        # Killed by a limit (CPU time: SIGXCPU; memory: the allocator gives up) or crashed.
        if done.returncode == -signal.SIGXCPU:
            raise ParseFailed(f"it took longer than {seconds} seconds to read")
        if b"MemoryError" in done.stderr or done.returncode in (-signal.SIGKILL,
                                                                -signal.SIGSEGV):
            raise ParseFailed(f"it needed more than {memory} MB of memory to read")
        raise ParseFailed("the reader stopped with an error")
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        raise ParseFailed("the reader gave no answer") from None
    if not answer.get("ok"):
        raise ParseFailed(answer.get("reason") or "it could not be read")
    return answer
