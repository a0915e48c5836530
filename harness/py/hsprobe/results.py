"""Result lines written by `hsprobe run` (schema: schema/result.schema.json).

The engine appends and flushes one JSON object per scenario, so a results file can end in a
truncated line when something crashed; reading it never raises: each line comes back with either
its object or the reasons it cannot be trusted (bad JSON, schema violations).  A result that
does not match the schema is reported as an error for its scenario, never interpreted.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import jsonschema

__all__ = ["SCHEMA_PATH", "ResultLine", "schema_errors", "parse_line", "read_results",
           "evidence_summary", "outcome_text", "failed_step_text", "wire_text"]

SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "result.schema.json"


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def schema_errors(obj) -> list[str]:
    """Schema violations of one result object, as `path: message` strings (empty if valid)."""
    errs = sorted(_validator().iter_errors(obj), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in errs]


@dataclass
class ResultLine:
    lineno: int
    raw: str
    obj: Optional[dict] = None          # parsed JSON (even when it violates the schema)
    errors: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.obj is not None and not self.errors

    @property
    def id(self) -> Optional[str]:
        sid = self.obj.get("id") if isinstance(self.obj, dict) else None
        return sid if isinstance(sid, str) else None


def parse_line(raw: str, lineno: int) -> ResultLine:
    res = ResultLine(lineno, raw)
    try:
        res.obj = json.loads(raw)
    except ValueError as e:
        res.errors.append(f"not JSON ({e}); a truncated last line means the engine died "
                          "while writing it")
        return res
    if not isinstance(res.obj, dict):
        res.errors.append("not a JSON object")
        res.obj = None
        return res
    res.errors.extend(schema_errors(res.obj))
    return res


def read_results(path: Path, first_line: int = 1, last_line: Optional[int] = None
                 ) -> list[ResultLine]:
    """Lines first_line..last_line (1-based, inclusive) of a results file; blank lines skipped."""
    out: list[ResultLine] = []
    try:
        data = Path(path).read_bytes().decode("utf-8", "replace")
    except FileNotFoundError:
        return out
    for lineno, raw in enumerate(data.splitlines(), 1):
        if lineno < first_line or (last_line is not None and lineno > last_line):
            continue
        if raw.strip():
            out.append(parse_line(raw, lineno))
    return out


def count_lines(path: Path) -> int:
    try:
        return len(Path(path).read_bytes().splitlines())
    except FileNotFoundError:
        return 0


def outcome_text(result: dict) -> str:
    """The outcome in one phrase: `close fin after 12.3 ms`, `alert fatal bad_certificate`…"""
    o = result.get("outcome") or {}
    kind = o.get("kind", "?")
    bits = [kind]
    if kind == "close" and "close" in o:
        bits.append(o["close"])
    if "after_ms" in o:
        bits.append(f"after {o['after_ms']:.1f} ms")
    if "alert" in o:
        a = o["alert"]
        bits.append(f"{a.get('level')} {a.get('name')} ({a.get('code')})")
    if "cmd" in o:
        bits.append(o["cmd"])
    if "pending_bytes" in o:
        bits.append(f"{o['pending_bytes']} bytes pending")
    text = " ".join(str(b) for b in bits)
    return f"{text}: {o['detail']}" if o.get("detail") else text


def failed_step_text(result: dict) -> Optional[str]:
    step = result.get("failed_step")
    if not step:
        return None
    return f"{result.get('file', '?')}:{step['line']}: {step['text']}"


def evidence_summary(result: dict, max_cells: int = 12) -> str:
    """What crossed each connection, one line per cell, without the hex (that is in the report)."""
    lines = []
    for conn in (result.get("evidence") or {}).get("connections", []):
        tls = conn.get("tls")
        tls_s = f"{tls['version']} {tls['cipher']}" if tls else "no TLS"
        lines.append(f"connection {conn.get('name')}: {tls_s}")
        cells = conn.get("cells", [])
        for c in cells[:max_cells]:
            arrow = "->" if c["dir"] == "sent" else "<-"
            lines.append(f"  {c['t_ms']:9.2f} ms {arrow} {c['cmd']} ({c['len']} bytes)")
        if len(cells) > max_cells:
            lines.append(f"  … {len(cells) - max_cells} more cells")
        if conn.get("overflow"):
            lines.append("  (evidence truncated by the engine)")
        close = conn.get("close")
        if close:
            lines.append(f"  closed by target: {close['kind']} after {close['after_ms']:.1f} ms")
    return "\n".join(lines) if lines else "(no connections recorded)"


def wire_text(wire: dict, engine_verdict: Optional[str] = None, max_info: int = 6) -> str:
    """The wire check of one result, for a test report: status, every failed error-level check
    (with its diff), the informational findings, and where the pcapng is."""
    checks = wire.get("checks") or []
    errors = [c for c in checks if not c["ok"] and c["level"] == "error"]
    infos = [c for c in checks if not c["ok"] and c["level"] == "info"]
    head = f"wire check: {wire.get('status')} ({len(checks)} checks"
    head += f", {len(errors)} failed" if errors else ""
    head += f"; engine verdict {engine_verdict}" if engine_verdict else ""
    lines = [head + ")"]
    for c in errors:
        lines.append(f"  ERROR {c['name']}: {c['detail']}")
    for c in infos[:max_info]:
        lines.append(f"  info  {c['name']}: {c['detail']}")
    if len(infos) > max_info:
        lines.append(f"  … {len(infos) - max_info} more informational findings")
    if wire.get("pcapng"):
        lines.append(f"  pcapng (opens decrypted): {wire['pcapng']}")
    return "\n".join(lines)
