"""Peer descriptors: `peers/<name>/peer.toml` says which scenarios a peer can serve.

A scenario's `role` is the *harness's* part (initiator: the harness connects).  A peer serves a
scenario role by playing the opposite part, and its launcher is started in that part:

    protocols = ["tor-link"]
    launcher = "run"                # peers/<name>/run, the DESIGN.md "Peers" contract
    ready_timeout_s = 30
    [serves]
    initiator = "responder"         # scenario role = --role given to the launcher

A peer that connects to the harness (a tor client using the harness as its bridge) cannot be
started once for the whole batch: it must be started per scenario, after the engine listens, with
the port.  Such a peer says so, and the engine starts it (`hsprobe run --peer-cmd`):

    per_scenario = "--bridge {addr} --fingerprint {fp}"   # launcher arguments; the engine
                                                          # substitutes {addr} {port} {fp} {ed}

A peer that serves the harness's `mitm` scenarios is the server end; the client end is another
peer that dials the harness per scenario, named by `mitm_client` (its `per_scenario` arguments
make the command the engine starts; `{fp}` there is the server end's fingerprint unless the
scenario's `listen pin=` says otherwise):

    mitm_client = "tor-client"
    [serves]
    mitm = "mitm"                   # the server end's launcher role in a MITM batch

The descriptor is strict (unknown keys are errors) because a typo here would silently drop
scenarios from the gate.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from hsprobe.peers import REPO_ROOT

__all__ = ["PeerConfigError", "PeerDescriptor", "DEFAULT_PEERS_ROOT", "available_peers",
           "load_peer"]

DEFAULT_PEERS_ROOT = REPO_ROOT / "peers"
DESCRIPTOR = "peer.toml"
SCENARIO_ROLES = ("initiator", "responder", "mitm")
_KEYS = {"description", "protocols", "launcher", "ready_timeout_s", "serves", "per_scenario",
         "max_jobs", "mitm_client"}


class PeerConfigError(ValueError):
    """An unknown peer, or a peer.toml that does not follow the format above."""


@dataclass(frozen=True)
class PeerDescriptor:
    name: str
    dir: Path
    description: str
    protocols: tuple[str, ...]
    launcher: Path
    ready_timeout_s: float
    serves: Mapping[str, str]  # scenario role -> launcher --role
    per_scenario: str | None = None  # launcher arguments when the engine starts it per scenario
    max_jobs: int | None = None  # scenarios it can serve at once (openssl s_server: one)
    mitm_client: str | None = None   # serves mitm: the peer that dials the harness per scenario

    def peer_cmd(self, launcher_role: str) -> str:
        """The `hsprobe run --peer-cmd` value for a per-scenario peer (words split on spaces,
        so the launcher path must not contain any)."""
        if " " in str(self.launcher):
            raise PeerConfigError(f"{self.launcher}: a per-scenario launcher path cannot "
                                  "contain spaces")
        return (f"{self.launcher} --run-dir {{dir}} --role {launcher_role} "
                f"{self.per_scenario or ''}").strip()

    @property
    def baseline_path(self) -> Path:
        return self.dir / "baseline.tsv"

    def can_serve(self, role: str, protocol: str) -> bool:
        return role in self.serves and protocol in self.protocols

    def as_dict(self) -> dict:
        return {"name": self.name, "description": self.description,
                "protocols": list(self.protocols), "serves": dict(self.serves)}


def available_peers(root: Path = DEFAULT_PEERS_ROOT) -> list[str]:
    """Names of the peer directories under `root` that have a descriptor."""
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / DESCRIPTOR).is_file())


def load_peer(name: str, root: Path = DEFAULT_PEERS_ROOT) -> PeerDescriptor:
    d = root / name
    path = d / DESCRIPTOR
    if not path.is_file():
        known = ", ".join(available_peers(root)) or "none"
        raise PeerConfigError(f"unknown peer {name!r}: no {path} (known peers: {known})")
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise PeerConfigError(f"{path}: {e}") from e

    def bad(msg: str) -> PeerConfigError:
        return PeerConfigError(f"{path}: {msg}")

    unknown = set(data) - _KEYS
    if unknown:
        raise bad(f"unknown key(s) {', '.join(sorted(unknown))} (allowed: {', '.join(sorted(_KEYS))})")
    protocols = data.get("protocols")
    if not (isinstance(protocols, list) and protocols and all(isinstance(p, str) for p in protocols)):
        raise bad("`protocols` must be a non-empty list of strings")
    serves = data.get("serves")
    if not (isinstance(serves, dict) and serves):
        raise bad("`serves` must be a table: scenario role = launcher role")
    for role, lrole in serves.items():
        if role not in SCENARIO_ROLES:
            raise bad(f"`serves`: {role!r} is not a scenario role ({', '.join(SCENARIO_ROLES)})")
        if not isinstance(lrole, str) or not lrole:
            raise bad(f"`serves.{role}` must name the launcher's --role")
    launcher = d / str(data.get("launcher", "run"))
    if not (launcher.is_file() and os.access(launcher, os.X_OK)):
        raise bad(f"launcher {launcher} is missing or not executable")
    timeout = data.get("ready_timeout_s", 30)
    if not isinstance(timeout, (int, float)) or timeout <= 0:
        raise bad("`ready_timeout_s` must be a positive number")
    desc = data.get("description", "")
    if not isinstance(desc, str):
        raise bad("`description` must be a string")
    per = data.get("per_scenario")
    if per is not None and not isinstance(per, str):
        raise bad("`per_scenario` must be a string of launcher arguments")
    max_jobs = data.get("max_jobs")
    if max_jobs is not None and not (isinstance(max_jobs, int) and max_jobs >= 1):
        raise bad("`max_jobs` must be a positive integer")
    client = data.get("mitm_client")
    if client is not None and not (isinstance(client, str) and client):
        raise bad("`mitm_client` must name a peer directory")
    if ("mitm" in serves) != (client is not None):
        raise bad("a peer that serves `mitm` names its client end with `mitm_client` (and only "
                  "such a peer does)")
    if client is not None:
        other = load_peer(client, root)
        if other.per_scenario is None or "initiator" not in other.serves.values():
            raise bad(f"`mitm_client` {client!r} must be a per-scenario peer that dials the "
                      "harness (per_scenario, launcher role initiator)")
    return PeerDescriptor(name=name, dir=d, description=desc, protocols=tuple(protocols),
                          launcher=launcher, ready_timeout_s=float(timeout), serves=dict(serves),
                          per_scenario=per, max_jobs=max_jobs, mitm_client=client)
