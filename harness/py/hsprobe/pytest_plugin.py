"""pytest plugin: scenario files become gate items, one per (scenario, peer).

    pytest -p hsprobe.pytest_plugin scenarios --peer tor-relay      (= make gate PEER=tor-relay)

Collection lints every collected .scn with ONE `hsprobe lint --json` call; a file that does not
parse is a collection error carrying file:line:col (pytest then runs nothing, as `hsprobe run`
would refuse too).  Each scenario yields `<id>[<peer>]` for every peer it names that can serve
its role and protocol (peers/<peer>/peer.toml).

Execution is per peer, lazily at that peer's first item: start the peer once, run ONE `hsprobe
run` over all its selected scenarios, stop it (hsprobe.batch).  Each item then validates its
result line against the schema and compares the verdict with peers/<peer>/baseline.tsv:

    ok-pass -> passed     ok-xfail -> xfailed (baseline reason)    ok-unsupported -> skipped
    FAIL, XPASS (stale baseline), MISSING (no entry) -> failed      ERROR -> error (setup)

Every batch is captured and its results checked against the wire (hsprobe.wire) before any
item reads them.  A result whose wire check failed is an ERROR whatever the engine concluded:
its text carries the failed checks and diffs, and the engine's own verdict is shown but never
compared with the baseline (a transcript that disagrees with the wire proves nothing).
`--hsprobe-wire off` skips capture and checks; it exists for the plugin's own tests with a fake
engine, and the gate never uses it.

plus one `baseline[<peer>]` item per peer that fails on an unreadable baseline or on entries
naming no scenario.  At the end the run directory (reports/<UTC stamp>/ unless
--hsprobe-report) gets run.json, report.html and summary.txt (hsprobe.report), and with
--update-baseline a baseline.tsv.candidate beside each baseline.
"""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest

from hsprobe import baseline as bl
from hsprobe import report
from hsprobe.batch import BatchOutcome, run_batch
from hsprobe.peerdesc import DEFAULT_PEERS_ROOT, PeerConfigError, PeerDescriptor, load_peer
from hsprobe.peers import REPO_ROOT
from hsprobe.pytest_netns import enter_private_netns
from hsprobe.results import evidence_summary, failed_step_text, outcome_text, wire_text
from hsprobe.scenarios import EngineError, ScenarioHeader, discover, duplicate_ids, lint

STATE = pytest.StashKey["GateState"]()
REPORTS_ROOT = REPO_ROOT / "reports"
DEFAULT_SCENARIOS_ROOT = REPO_ROOT / "scenarios"


def pytest_addoption(parser):
    g = parser.getgroup("hsprobe", "hsprobe scenario gate")
    g.addoption("--peer", action="append", dest="hsprobe_peer", metavar="NAME",
                help="run scenarios only against this peer (peers/NAME/); repeatable")
    g.addoption("--update-baseline", action="store_true", dest="hsprobe_update_baseline",
                help="also write peers/<peer>/baseline.tsv.candidate from this run's verdicts")
    g.addoption("--hsprobe-report", dest="hsprobe_report", metavar="DIR",
                help="run directory for results, report and peer logs "
                     "(default reports/<UTC timestamp>/, and reports/latest points at it)")
    g.addoption("--hsprobe-jobs", dest="hsprobe_jobs", type=int, default=4, metavar="N",
                help="scenarios the engine runs concurrently (default 4)")
    g.addoption("--hsprobe-seed", dest="hsprobe_seed", type=int, default=None, metavar="N",
                help="--seed for the engine (default: its own)")
    g.addoption("--hsprobe-scenarios", dest="hsprobe_scenarios", metavar="DIR",
                help=f"the whole scenario tree, for telling stale baseline entries (default "
                     f"{DEFAULT_SCENARIOS_ROOT})")
    g.addoption("--hsprobe-peers", dest="hsprobe_peers", metavar="DIR",
                help=f"peer directories (default {DEFAULT_PEERS_ROOT})")
    g.addoption("--hsprobe-wire", dest="hsprobe_wire", choices=("on", "off"), default="on",
                help="capture each batch and check every result against the wire (default on; "
                     "off only for testing the plugin with a fake engine)")
    g.addoption("--hsprobe-batch-timeout", dest="hsprobe_batch_timeout", type=float,
                default=None, metavar="S",
                help="kill the engine after S seconds (default: from the scenarios' timeouts)")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    enter_private_netns(config)  # targets start below; never outside a private namespace
    if config.option.help or config.option.version:
        return
    config.stash[STATE] = GateState(config)


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix == ".scn":
        parent.config.stash[STATE].register(file_path)
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    config.stash[STATE].select(session, items)


def pytest_sessionfinish(session, exitstatus):
    state = session.config.stash.get(STATE, None)
    if state is not None:
        state.finish()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    state = config.stash.get(STATE, None)
    if state is None:
        return
    for line in state.summary_lines:
        terminalreporter.write_line(line)


# ----------------------------------------------------------------------------------------------
@dataclass
class ItemVerdict:
    cls: bl.Classification
    result: Optional[dict]
    entry: Optional[bl.Entry]
    text: str            # what to show for anything that is not ok-pass


class GateState:
    """Everything one pytest session knows about scenarios, peers, baselines and batches."""

    def __init__(self, config: pytest.Config):
        self.config = config
        opt = config.option
        self.peers_root = Path(opt.hsprobe_peers).resolve() if opt.hsprobe_peers \
            else DEFAULT_PEERS_ROOT
        self.scenarios_root = Path(opt.hsprobe_scenarios).resolve() if opt.hsprobe_scenarios \
            else DEFAULT_SCENARIOS_ROOT
        self._all_ids: Optional[set[str] | str] = None
        self.jobs = max(1, opt.hsprobe_jobs)
        self.seed = opt.hsprobe_seed
        self.batch_timeout = opt.hsprobe_batch_timeout
        self.update_baseline = opt.hsprobe_update_baseline
        self.wire = getattr(opt, "hsprobe_wire", "on") != "off"
        self.only_peers: Optional[list[str]] = opt.hsprobe_peer
        self._peers: dict[str, PeerDescriptor | PeerConfigError] = {}
        for name in self.only_peers or ():
            if isinstance(self.peer(name), PeerConfigError):
                raise pytest.UsageError(f"--peer: {self._peers[name]}")
        if opt.hsprobe_report:
            self.report_dir = Path(opt.hsprobe_report).resolve()
        else:
            stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            self.report_dir = REPORTS_ROOT / stamp
        self.registered: list[Path] = []
        self.lint_results = None
        self.lint_error: Optional[str] = None
        self.lint_error_shown = False
        self.headers: dict[Path, ScenarioHeader] = {}
        self.dups: dict[Path, str] = {}
        self.baselines: dict[str, bl.Baseline | bl.BaselineError] = {}
        self.selected: dict[str, list["ScenarioItem"]] = {}
        self.batches: dict[str, list[BatchOutcome]] = {}
        self.summary_lines: list[str] = []
        self.started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")

    # -- peers and baselines -------------------------------------------------------------------
    def peer(self, name: str) -> PeerDescriptor | PeerConfigError:
        if name not in self._peers:
            try:
                self._peers[name] = load_peer(name, self.peers_root)
            except PeerConfigError as e:
                self._peers[name] = e
        return self._peers[name]

    def baseline(self, name: str) -> bl.Baseline | bl.BaselineError:
        if name not in self.baselines:
            desc = self.peer(name)
            assert isinstance(desc, PeerDescriptor)
            try:
                self.baselines[name] = bl.load(desc.baseline_path)
            except bl.BaselineError as e:
                self.baselines[name] = e
        return self.baselines[name]

    def all_ids(self) -> set[str] | str:
        """Ids of every scenario in the tree (not just the collected ones: a run of one file
        must not call the other files' baseline entries stale), or why they are unknown."""
        if self._all_ids is None:
            files = set(discover([self.scenarios_root])) | set(self.registered)
            todo = sorted(f for f in files if f not in (self.lint_results or {}))
            try:
                extra = lint(todo)
            except EngineError as e:
                self._all_ids = f"cannot read the scenario tree: {e}"
                return self._all_ids
            every = {**(self.lint_results or {}), **extra}
            bad = [str(r.file) for r in every.values() if not r.ok]
            self._all_ids = (f"scenario files that do not parse: {', '.join(bad)}" if bad
                             else {r.header.id for r in every.values()})
        return self._all_ids

    # -- collection ----------------------------------------------------------------------------
    def register(self, path: Path) -> None:
        self.registered.append(Path(path).resolve())

    def header_for(self, path: Path) -> ScenarioHeader:
        """The header of `path`, linting every registered file on first use.  pytest creates
        all file collectors before it collects any of them, so one lint call covers the run."""
        path = Path(path).resolve()
        if self.lint_results is None or (path not in self.lint_results and not self.lint_error):
            todo = [p for p in self.registered if not self.lint_results or p not in self.lint_results]
            try:
                got = lint(todo)
            except EngineError as e:
                self.lint_error = str(e)
                got = {}
            self.lint_results = {**(self.lint_results or {}), **got}
            self.headers.update({p: r.header for p, r in got.items() if r.ok})
            self.dups = duplicate_ids(self.headers.values())
        if self.lint_error:
            first, self.lint_error_shown = not self.lint_error_shown, True
            raise ScenarioCollectError(f"cannot read scenario headers: {self.lint_error}" if first
                                       else "cannot read scenario headers (see the first error)")
        res = self.lint_results[path]
        if not res.ok:
            raise ScenarioCollectError("\n".join(map(str, res.errors)))
        if path in self.dups:
            raise ScenarioCollectError(f"{path}: {self.dups[path]}")
        return res.header

    def select(self, session, items: list) -> None:
        """Apply --peer, group the remaining scenario items by peer, add the baseline items."""
        keep, drop = [], []
        for it in items:
            if isinstance(it, ScenarioItem) and self.only_peers and it.peer not in self.only_peers:
                drop.append(it)
            else:
                keep.append(it)
        if drop:
            self.config.hook.pytest_deselected(items=drop)
        items[:] = keep
        for it in keep:
            if isinstance(it, ScenarioItem):
                self.selected.setdefault(it.peer, []).append(it)
        for name in sorted(set(self.selected) | set(self.only_peers or ())):
            path = self.peer(name).baseline_path
            try:  # a readable node id, like a file's: peers/x/baseline.tsv::baseline[x]
                rel = path.relative_to(self.config.rootpath)
            except ValueError:
                rel = path
            items.append(BaselineItem.from_parent(session, name=f"baseline[{name}]", peer=name,
                                                  path=path, nodeid=f"{rel}::baseline[{name}]"))

    # -- execution -----------------------------------------------------------------------------
    def ensure_batches(self, name: str) -> list[BatchOutcome]:
        """Run this peer's batch(es) once: one per launcher role, all its selected files."""
        if name in self.batches:
            return self.batches[name]
        desc = self.peer(name)
        assert isinstance(desc, PeerDescriptor)
        self.report_dir.mkdir(parents=True, exist_ok=True)
        self._point_latest()
        self.batches[name] = []
        by_role: dict[str, list[ScenarioItem]] = {}
        for it in self.selected.get(name, []):
            by_role.setdefault(desc.serves[it.header.role], []).append(it)
        self.write_manifest()  # before anything runs: `python3 -m hsprobe.report DIR` can
        for lrole, its in sorted(by_role.items()):  # rebuild the report even after a crash
            timeout = self.batch_timeout or (
                60.0 + 10.0 * sum(max(1.0, i.header.timeout_ms / 1000) for i in its) / self.jobs)
            out = run_batch(desc, lrole, [i.header.file for i in its], [i.header.id for i in its],
                            self.report_dir, jobs=self.jobs, timeout_s=timeout, seed=self.seed,
                            wire=self.wire)
            self.batches[name].append(out)
            self.write_manifest()
        return self.batches[name]

    def verdict_for(self, item: "ScenarioItem") -> ItemVerdict:
        base = self.baseline(item.peer)
        if isinstance(base, bl.BaselineError):
            return _error(f"the baseline of {item.peer} is invalid (nothing was run):\n{base}")
        batch = next((b for b in self.ensure_batches(item.peer) if item.header.id in b.ids), None)
        if batch is None:
            return _error("internal: no batch covered this scenario")
        line = batch.by_id.get(item.header.id)
        if line is None:
            return _error(f"no result for {item.header.id} in {batch.results_path}\n"
                          + batch.describe_engine())
        if not line.valid:
            return _error(f"result line {line.lineno} of {batch.results_path} for "
                          f"{item.header.id} does not match the result schema, so it says "
                          "nothing:\n  " + "\n  ".join(line.errors[:10])
                          + (f"\n  … {len(line.errors) - 10} more" if len(line.errors) > 10
                             else ""))
        res = line.obj
        entry = base.get(item.header.id)
        if batch.wire_enabled and not isinstance(res.get("wire"), dict):
            return _error(f"result line {line.lineno} of {batch.results_path} for "
                          f"{item.header.id} was not checked against the wire (no capture check "
                          "result), so it cannot be trusted\n" + _wire_batch_text(batch))
        if isinstance(res.get("wire"), dict) and res["wire"].get("status") == "error":
            cls = bl.Classification(bl.Kind.ERROR, "wire check failed: the engine's claims "
                                    "disagree with the capture (engine verdict "
                                    f"{res.get('engine_verdict', '?')}, not compared with the "
                                    "baseline)")
            return ItemVerdict(cls, res, entry, _describe(item, cls, res, batch, line.lineno))
        cls = bl.classify(res["verdict"], entry)
        text = _describe(item, cls, res, batch, line.lineno)
        return ItemVerdict(cls, res, entry, text)

    # -- end of session ------------------------------------------------------------------------
    def _point_latest(self) -> None:
        """reports/latest -> this run, when the run directory lives in reports/."""
        if self.report_dir.parent != REPORTS_ROOT:
            return
        latest = REPORTS_ROOT / "latest"
        tmp = REPORTS_ROOT / f".latest.{os.getpid()}"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(self.report_dir.name)
        os.replace(tmp, latest)  # atomic: a reader never sees no `latest`

    def manifest(self) -> dict:
        peers = {}
        for name in sorted(set(self.selected) | set(self.batches)):
            desc = self.peer(name)
            base = self.baseline(name)
            peers[name] = {
                **desc.as_dict(),
                "baseline": report.baseline_to_json(desc.baseline_path, base),
                "selected": [it.header.id for it in self.selected.get(name, [])],
                "batches": [report.batch_to_json(b) for b in self.batches.get(name, [])],
            }
        return {"schema": report.MANIFEST_SCHEMA, "started": self.started,
                "scenarios": [h.as_dict() for h in sorted(self.headers.values(),
                                                           key=lambda h: h.id)],
                "peers": peers, "results": "results.jsonl"}

    def write_manifest(self) -> None:
        path = self.report_dir / report.MANIFEST
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.manifest(), indent=1))
        os.replace(tmp, path)

    def finish(self) -> None:
        if not self.batches:
            return
        self.write_manifest()
        paths = report.write_report(self.report_dir)
        wire_line = report.wire_summary_line(self.report_dir)
        if wire_line:
            self.summary_lines.append(f"hsprobe {wire_line.strip()}")
        self.summary_lines.append(f"hsprobe report: {paths['html']}")
        self.summary_lines.append(f"hsprobe summary: {paths['summary']}")
        if self.update_baseline:
            known = self.all_ids()
            if isinstance(known, str):
                self.summary_lines.append(f"no baseline candidate written: {known}")
                return
            for name in sorted(self.batches):
                base = self.baseline(name)
                if isinstance(base, bl.BaselineError):
                    self.summary_lines.append(f"baseline candidate for {name} NOT written: "
                                              "its baseline is invalid")
                    continue
                observed = report.observed_verdicts(self.report_dir, name)
                path = bl.write_candidate(base, observed, known)
                self.summary_lines.append(f"baseline candidate for {name}: {path} "
                                          "(review, then move over baseline.tsv)")


def _error(text: str) -> ItemVerdict:
    return ItemVerdict(bl.Classification(bl.Kind.ERROR, text), None, None, text)


def _wire_batch_text(batch: BatchOutcome) -> str:
    w = batch.wire or {}
    bits = [f"capture: {batch.capture.get('path') if batch.capture else 'none'}"]
    bits += w.get("batch_errors") or []
    if w.get("internal_error"):
        bits.append(f"wire check failed internally: {w['internal_error']}")
    return "\n".join(bits)


def _describe(item: "ScenarioItem", cls: bl.Classification, res: dict, batch: BatchOutcome,
              lineno: int) -> str:
    h = item.header
    lines = [f"{cls.kind.value}: {cls.explanation}" if cls.explanation else cls.kind.value,
             f"requirement ({h.spec}, {h.level}): {' '.join(h.requirement.split())}",
             f"verdict {res['verdict']}: {res['message']}",
             f"outcome: {outcome_text(res)}"]
    wire = res.get("wire")
    if isinstance(wire, dict):
        lines.extend(wire_text(wire, res.get("engine_verdict")).splitlines())
    step = failed_step_text(res)
    if step:
        lines.append(f"failed step: {step}")
    lines.append("evidence:")
    lines.extend("  " + l for l in evidence_summary(res).splitlines())
    lines.append(f"result: {batch.results_path} line {lineno}")
    if cls.kind is bl.Kind.ERROR and batch.peer_died:
        lines.append(batch.describe_peer_death())
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
class ScenarioCollectError(Exception):
    """A scenario that cannot become an item; shown as the collection error's whole text."""


class ScenarioFile(pytest.File):
    def collect(self):
        state: GateState = self.config.stash[STATE]
        try:
            header = state.header_for(self.path)
        except ScenarioCollectError as e:
            raise self.CollectError(str(e)) from None
        serving, problems = [], []
        for name in header.peers:
            desc = state.peer(name)
            if isinstance(desc, PeerConfigError):
                raise self.CollectError(f"{self.path}: peers: {desc}")
            if desc.can_serve(header.role, header.protocol):
                serving.append(desc)
            else:
                problems.append(f"{name} serves roles {', '.join(desc.serves)} of protocols "
                                f"{', '.join(desc.protocols)}")
        if not serving:
            raise self.CollectError(
                f"{self.path}: no listed peer can serve role {header.role!r} of protocol "
                f"{header.protocol!r} ({'; '.join(problems)})")
        for desc in serving:
            yield ScenarioItem.from_parent(self, name=f"{header.id}[{desc.name}]",
                                           callobj=_scenario_test, header=header, peer=desc.name)


class ScenarioItem(pytest.Function):
    """One scenario against one peer.  A pytest.Function so that it can use fixtures: the
    session-scoped `hsprobe_gate` owns the batches."""

    def __init__(self, *, header: ScenarioHeader, peer: str, **kw):
        self.header = header
        self.peer = peer
        super().__init__(**kw)
        self.user_properties.append(("scenario_id", header.id))
        self.user_properties.append(("peer", peer))

    def reportinfo(self):
        return self.path, 0, f"{self.header.id}[{self.peer}]: {self.header.title}"

    def _prunetraceback(self, excinfo):  # our failures carry their text; no plugin frames
        excinfo.traceback = excinfo.traceback.cut(path=self.path) or excinfo.traceback[-1:]


class BaselineItem(pytest.Item):
    """`baseline[<peer>]`: the peer's baseline parses and names only existing scenarios."""

    def __init__(self, *, peer: str, **kw):
        super().__init__(**kw)
        self.peer = peer

    def runtest(self):
        state: GateState = self.config.stash[STATE]
        desc = state.peer(self.peer)
        base = state.baseline(self.peer)
        if isinstance(base, bl.BaselineError):
            pytest.fail(f"{desc.baseline_path} is invalid:\n{base}", pytrace=False)
        known = state.all_ids()
        if isinstance(known, str):
            pytest.fail(f"stale entries cannot be told apart: {known}", pytrace=False)
        stale = bl.stale_entries(base, known)
        if stale:
            pytest.fail("baseline entries naming no scenario (renamed or deleted; remove them):\n"
                        + "\n".join(f"  {base.path}:{e.line}: {e.id}" for e in stale),
                        pytrace=False)

    def reportinfo(self):
        return self.path, 0, f"baseline[{self.peer}]"


@pytest.fixture(scope="session")
def hsprobe_gate(request) -> GateState:
    """The session's gate: starts each peer once (lazily, at its first item) for its batch."""
    return request.config.stash[STATE]


@pytest.fixture
def hsprobe_verdict(request, hsprobe_gate) -> ItemVerdict:
    """This item's verdict against the baseline.  No verdict (ERROR) fails here, in setup, so
    pytest reports it as an error rather than as a deviation of the target."""
    v = hsprobe_gate.verdict_for(request.node)
    if v.cls.kind is bl.Kind.ERROR:
        pytest.fail(v.text, pytrace=False)
    return v


def _scenario_test(hsprobe_verdict: ItemVerdict) -> None:
    v = hsprobe_verdict
    kind = v.cls.kind
    if kind is bl.Kind.OK_PASS:
        return
    if kind is bl.Kind.OK_XFAIL:
        pytest.xfail(f"baseline: {v.cls.explanation} (observed: {v.result['message']})")
    if kind is bl.Kind.OK_UNSUPPORTED:
        pytest.skip(f"unsupported: {v.cls.explanation} (engine: {v.result['message']})")
    pytest.fail(v.text, pytrace=False)  # FAIL, XPASS, MISSING
