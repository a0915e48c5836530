"""Peer baselines (DESIGN.md "Baselines"): what a peer is expected to do, per scenario id.

`peers/<peer>/baseline.tsv`, one entry per line, `#` starts a comment line:

    id<TAB>expected<TAB>reason

expected is `pass`, `xfail` (a known deviation from the spec) or `unsupported` (this peer cannot
play the scenario).  xfail and unsupported need a reason: a recorded deviation nobody can explain
is how a real regression hides.  Comparing a run's verdict with the entry gives one class
(`classify`); every class except the three ok-* ones fails the gate.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Optional

__all__ = ["EXPECTED", "Entry", "Baseline", "BaselineError", "Kind", "Classification", "parse",
           "load", "classify", "stale_entries", "candidate_text", "write_candidate"]

EXPECTED = ("pass", "xfail", "unsupported")
NEEDS_REASON = ("xfail", "unsupported")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


class BaselineError(ValueError):
    """One or more malformed lines; `errors` are `file:line: message` strings."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Entry:
    id: str
    expected: str
    reason: str
    line: int


@dataclass
class Baseline:
    path: Path
    entries: dict[str, Entry] = field(default_factory=dict)
    preamble: list[str] = field(default_factory=list)  # leading comment lines, kept by candidates
    exists: bool = True

    def get(self, scenario_id: str) -> Optional[Entry]:
        return self.entries.get(scenario_id)


def parse(text: str, path: Path) -> Baseline:
    """Parse baseline text; raise BaselineError listing every bad line (not just the first)."""
    base = Baseline(path=Path(path))
    errors: list[str] = []
    in_preamble = True
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r")
        if line.lstrip().startswith("#"):
            if in_preamble:
                base.preamble.append(line)
            continue
        if not line.strip():
            continue
        in_preamble = False
        where = f"{path}:{lineno}"
        parts = line.split("\t")
        if len(parts) < 2 or len(parts) > 3:
            errors.append(f"{where}: expected `id<TAB>expected<TAB>reason` "
                          f"(found {len(parts)} tab-separated field(s))")
            continue
        sid, expected = parts[0].strip(), parts[1].strip()
        reason = parts[2].strip() if len(parts) == 3 else ""
        if not _ID_RE.match(sid):
            errors.append(f"{where}: {sid!r} is not a scenario id (lowercase [a-z0-9.-])")
            continue
        if expected not in EXPECTED:
            errors.append(f"{where}: expected verdict {expected!r} is not one of "
                          f"{', '.join(EXPECTED)}")
            continue
        if expected in NEEDS_REASON and not reason:
            errors.append(f"{where}: {sid}: `{expected}` needs a reason in the third column "
                          "(why does this peer deviate / not apply?)")
            continue
        if sid in base.entries:
            errors.append(f"{where}: duplicate id {sid} (first at line "
                          f"{base.entries[sid].line})")
            continue
        base.entries[sid] = Entry(sid, expected, reason, lineno)
    if errors:
        raise BaselineError(errors)
    return base


def load(path: Path) -> Baseline:
    """Load a baseline; a missing file is an empty baseline (every scenario is then MISSING)."""
    path = Path(path)
    if not path.exists():
        return Baseline(path=path, exists=False)
    return parse(path.read_text(encoding="utf-8"), path)


class Kind(enum.Enum):
    OK_PASS = "ok-pass"
    OK_XFAIL = "ok-xfail"
    OK_UNSUPPORTED = "ok-unsupported"
    FAIL = "FAIL"          # regression: the baseline expected something else
    XPASS = "XPASS"        # conformed although the baseline records a deviation: stale
    ERROR = "ERROR"        # no verdict (harness or environment fault)
    MISSING = "MISSING"    # no baseline entry for this scenario

    @property
    def ok(self) -> bool:
        return self in (Kind.OK_PASS, Kind.OK_XFAIL, Kind.OK_UNSUPPORTED)


@dataclass(frozen=True)
class Classification:
    kind: Kind
    explanation: str  # the baseline reason for ok-xfail/unsupported, else why it is not ok

    @property
    def ok(self) -> bool:
        return self.kind.ok


def classify(verdict: str, entry: Optional[Entry]) -> Classification:
    """Compare one result verdict (pass|fail|error|unsupported) with the baseline entry."""
    if verdict == "error":
        extra = "" if entry else " (and the baseline has no entry for it)"
        return Classification(Kind.ERROR, "the harness could not reach a verdict" + extra)
    if verdict not in ("pass", "fail", "unsupported"):
        return Classification(Kind.ERROR, f"unknown verdict {verdict!r}")
    if entry is None:
        return Classification(Kind.MISSING, f"verdict {verdict}, but the baseline has no entry "
                                            "for this scenario (add one; see --update-baseline)")
    exp, why = entry.expected, entry.reason
    if verdict == "pass":
        if exp == "pass":
            return Classification(Kind.OK_PASS, "")
        return Classification(Kind.XPASS, f"baseline stale: expected {exp} ({why}) but conformed")
    if verdict == "fail":
        if exp == "xfail":
            return Classification(Kind.OK_XFAIL, why)
        return Classification(Kind.FAIL, f"deviates from the spec; the baseline expected {exp}"
                                         + (f" ({why})" if why else ""))
    # unsupported
    if exp == "unsupported":
        return Classification(Kind.OK_UNSUPPORTED, why)
    return Classification(Kind.FAIL, f"the engine reported unsupported; the baseline expected "
                                     f"{exp}" + (f" ({why})" if why else ""))


def stale_entries(base: Baseline, known_ids: Iterable[str]) -> list[Entry]:
    """Entries naming no existing scenario (renamed or deleted): they would hide nothing, but
    they rot, so the gate fails on them."""
    known = set(known_ids)
    return sorted((e for e in base.entries.values() if e.id not in known), key=lambda e: e.line)


def _clean(text: str) -> str:
    return " ".join(text.split())  # no tabs/newlines inside the reason column


def candidate_text(base: Baseline, observed: Mapping[str, tuple[str, str]],
                   known_ids: Iterable[str]) -> str:
    """A baseline that the observed verdicts would satisfy, for a human to review.

    observed: scenario id -> (verdict, message) from this run.  Existing reasons are kept when
    the expectation does not change; a new xfail/unsupported gets a TODO reason quoting what was
    observed; an error gives no verdict, so the old entry (if any) is kept and otherwise a
    comment asks for one; entries for scenarios that no longer exist are dropped (and listed).
    """
    known = set(known_ids)
    lines = list(base.preamble) or [
        "# Expected verdicts for this peer: id<TAB>pass|xfail|unsupported<TAB>reason",
        "# (xfail/unsupported need a reason).  Checked by `make gate PEER=<peer>`.",
    ]
    body: list[str] = []
    for sid in sorted(known | set(observed)):
        old = base.entries.get(sid)
        if sid not in observed:
            if old:
                body.append(_entry_line(old.id, old.expected, old.reason))
            continue
        verdict, message = observed[sid]
        if verdict == "pass":
            body.append(_entry_line(sid, "pass", old.reason if old and old.expected == "pass"
                                    else ""))
        elif verdict in ("fail", "unsupported"):
            exp = "xfail" if verdict == "fail" else "unsupported"
            reason = old.reason if old and old.expected == exp else \
                f"TODO: explain (observed: {_clean(message)})"
            body.append(_entry_line(sid, exp, reason))
        elif old:
            body.append(_entry_line(old.id, old.expected, old.reason))
        else:
            body.append(f"# {sid}\t?\tno verdict this run (error: {_clean(message)}); "
                        "fill in by hand")
    dropped = sorted(set(base.entries) - known)
    if dropped:
        body.append("")
        body.append("# dropped (no scenario has these ids any more): " + ", ".join(dropped))
    return "\n".join(lines + [""] + body) + "\n"


def _entry_line(sid: str, expected: str, reason: str) -> str:
    return f"{sid}\t{expected}\t{_clean(reason)}" if reason else f"{sid}\t{expected}"


def write_candidate(base: Baseline, observed: Mapping[str, tuple[str, str]],
                    known_ids: Iterable[str]) -> Path:
    """Write `<baseline>.candidate` beside the baseline (never the baseline itself)."""
    out = base.path.with_name(base.path.name + ".candidate")
    out.write_text(candidate_text(base, observed, known_ids), encoding="utf-8")
    return out
