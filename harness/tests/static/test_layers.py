"""The engine's module walls (DESIGN.md "Layout"): a file may include only its own layer or a
lower one.  Layers are named by file prefix; a file with an unknown prefix fails the test, so
a new layer has to be placed here deliberately."""
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

# Lower number = lower layer.  hs_ is the shared base (attributes, caps, clock, randomness).
RANK = {"hs": 0, "bytes": 1, "wire": 2, "crypto": 3, "net": 4, "tls": 5, "link": 6, "scen": 7,
        "out": 8, "cli": 9}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer(name: str) -> str:
    return name.split("_", 1)[0]


def test_every_file_belongs_to_a_known_layer():
    unknown = [p.name for p in SRC.iterdir() if p.suffix in (".c", ".h")
               and layer(p.name) not in RANK]
    assert not unknown, f"files outside every layer (add the prefix to RANK): {unknown}"


def test_no_file_includes_an_upper_layer():
    bad = []
    for p in sorted(SRC.iterdir()):
        if p.suffix not in (".c", ".h") or layer(p.name) not in RANK:
            continue
        for inc in INCLUDE.findall(p.read_text()):
            if layer(inc) in RANK and RANK[layer(inc)] > RANK[layer(p.name)]:
                bad.append(f"{p.name} includes {inc}")
    assert not bad, "lower layer includes an upper one:\n" + "\n".join(bad)
