"""Scenario files: find them and read their headers through the engine's own parser.

The C parser (`hsprobe lint --json`) is the only parser of the scenario language; Python never
re-implements it, so what the gate collects is exactly what `hsprobe run` will execute.  One lint
call covers every file (starting the engine once per file would dominate a 60-file collection).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Sequence

from hsprobe.peers import REPO_ROOT

__all__ = ["ScenarioHeader", "LintDiagnostic", "LintResult", "EngineError", "engine_path",
           "engine_wrap", "discover", "lint", "duplicate_ids"]

SCENARIO_SUFFIX = ".scn"
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


class EngineError(RuntimeError):
    """The engine could not be run, or answered outside its contract (not a scenario error)."""


@dataclass(frozen=True)
class ScenarioHeader:
    """A scenario's header as `hsprobe lint --json` reports it, plus the file it came from."""
    file: Path
    id: str
    title: str
    role: str
    protocol: str
    peers: tuple[str, ...]
    spec: str
    level: str
    requirement: str
    catalogue: Optional[str]
    note: Optional[str]
    timeout_ms: int

    def as_dict(self) -> dict:
        return {"file": str(self.file), "id": self.id, "title": self.title, "role": self.role,
                "protocol": self.protocol, "peers": list(self.peers), "spec": self.spec,
                "level": self.level, "requirement": self.requirement,
                "catalogue": self.catalogue, "note": self.note, "timeout_ms": self.timeout_ms}

    @classmethod
    def from_dict(cls, d: dict, file: Optional[Path] = None) -> "ScenarioHeader":
        return cls(file=Path(file if file is not None else d["file"]), id=d["id"],
                   title=d["title"], role=d["role"], protocol=d["protocol"],
                   peers=tuple(d["peers"]), spec=d["spec"], level=d["level"],
                   requirement=d["requirement"], catalogue=d.get("catalogue"),
                   note=d.get("note"), timeout_ms=int(d["timeout_ms"]))


@dataclass(frozen=True)
class LintDiagnostic:
    file: Path
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: error: {self.message}"


@dataclass(frozen=True)
class LintResult:
    file: Path
    ok: bool
    errors: tuple[LintDiagnostic, ...]
    header: Optional[ScenarioHeader]


def engine_path() -> Path:
    """The engine binary: $HSPROBE_BIN (relative to the repo) or build/hsprobe."""
    p = Path(os.environ.get("HSPROBE_BIN") or "build/hsprobe")
    return p if p.is_absolute() else REPO_ROOT / p


def engine_wrap() -> list[str]:
    """$HSPROBE_WRAP (e.g. valgrind) put in front of every engine invocation."""
    return shlex.split(os.environ.get("HSPROBE_WRAP", ""))


def discover(paths: Iterable[Path]) -> list[Path]:
    """Every *.scn file under `paths` (files are taken as given), sorted, absolute."""
    found: set[Path] = set()
    for p in paths:
        p = Path(p).resolve()
        if p.is_dir():
            found.update(q for q in p.rglob(f"*{SCENARIO_SUFFIX}") if q.is_file())
        elif p.suffix == SCENARIO_SUFFIX:
            found.add(p)
    return sorted(found)


def _json_objects(text: str) -> list:
    """Every JSON value in `text`, whether one per line or pretty-printed back to back."""
    dec = json.JSONDecoder()
    out, i = [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        obj, i = dec.raw_decode(text, i)
        out.append(obj)


_HEADER_KEYS = {"id": str, "title": str, "role": str, "protocol": str, "peers": list,
                "spec": str, "level": str, "requirement": str, "timeout_ms": int}


def _header(obj: dict, file: Path) -> ScenarioHeader:
    """Check the lint JSON header shape (the engine is trusted to parse, not to be bug-free)."""
    for key, typ in _HEADER_KEYS.items():
        if not isinstance(obj.get(key), typ):
            raise EngineError(f"{file}: lint --json header field {key!r} missing or not "
                              f"{typ.__name__}: {obj!r}")
    for key in ("catalogue", "note"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise EngineError(f"{file}: lint --json header field {key!r} is not a string")
    if not _ID_RE.match(obj["id"]):
        raise EngineError(f"{file}: lint accepted a malformed id {obj['id']!r}")
    return ScenarioHeader.from_dict(obj, file=file)


def lint(files: Sequence[Path], engine: Optional[Path] = None,
         timeout: float = 60.0) -> dict[Path, LintResult]:
    """Run `hsprobe lint --json FILES...` once; map each (absolute) file to its LintResult.

    Raises EngineError when the engine is missing, crashes, exits outside {0, 2}, or its output
    does not account for every file."""
    files = [Path(f).resolve() for f in files]
    if not files:
        return {}
    engine = engine or engine_path()
    if not (engine.is_file() and os.access(engine, os.X_OK)):
        raise EngineError(f"engine binary {engine} not found or not executable "
                          "(build it with `make build`, or point HSPROBE_BIN at it)")
    argv = [*engine_wrap(), str(engine), "lint", "--json", *map(str, files)]
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise EngineError(f"`{shlex.join(argv[:4])} …` did not finish within {timeout:g} s")
    out = proc.stdout.decode("utf-8", "replace")
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode not in (0, 2):
        raise EngineError(f"`hsprobe lint --json` exited {proc.returncode} "
                          f"(expected 0 or 2)\n--- stderr ---\n{err.strip()}")
    try:
        objs = _json_objects(out)
    except ValueError as e:
        raise EngineError(f"`hsprobe lint --json` printed something that is not JSON ({e})\n"
                          f"--- stdout ---\n{out[:2000]}\n--- stderr ---\n{err.strip()}")
    results: dict[Path, LintResult] = {}
    for obj in objs:
        if not isinstance(obj, dict) or not isinstance(obj.get("file"), str) \
                or not isinstance(obj.get("ok"), bool) or not isinstance(obj.get("errors"), list):
            raise EngineError(f"`hsprobe lint --json`: unexpected object {obj!r}")
        f = Path(obj["file"]).resolve()
        diags = tuple(LintDiagnostic(f, int(e.get("line", 0)), int(e.get("col", 0)),
                                     str(e.get("message", "")))
                      for e in obj["errors"])
        header = _header(obj["header"], f) if obj["ok"] and obj.get("header") else None
        if obj["ok"] and header is None:
            raise EngineError(f"{f}: lint says ok but gives no header")
        if not obj["ok"] and not diags:
            raise EngineError(f"{f}: lint says not ok but gives no error")
        results[f] = LintResult(f, obj["ok"], diags, header)
    missing = [f for f in files if f not in results]
    if missing:
        raise EngineError("`hsprobe lint --json` said nothing about: "
                          + ", ".join(map(str, missing)) + f"\n--- stderr ---\n{err.strip()}")
    if proc.returncode == 0 and not all(r.ok for r in results.values()):
        raise EngineError("`hsprobe lint` exited 0 but reported errors")
    if proc.returncode == 2 and all(r.ok for r in results.values()):
        raise EngineError(f"`hsprobe lint` exited 2 with every file ok\n{err.strip()}")
    return results


def duplicate_ids(headers: Iterable[ScenarioHeader]) -> dict[Path, str]:
    """Files whose id another file already uses (baselines and reports key on ids), mapped to
    the message to report.  The first file in path order keeps the id."""
    first: dict[str, Path] = {}
    dups: dict[Path, str] = {}
    for h in sorted(headers, key=lambda h: str(h.file)):
        if h.id in first:
            dups[h.file] = f"duplicate scenario id {h.id!r} (already used by {first[h.id]})"
        else:
            first[h.id] = h.file
    return dups
