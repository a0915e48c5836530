"""`@NAME@` substitution for peer config templates.

A placeholder left in a rendered config would be read by the server as a literal value (a path
named "@RUN_DIR@/log", say) and fail far from here, so any leftover is an error now."""

import re
from pathlib import Path


def render(template: Path, dest: Path, values: dict, mode: int = 0o644) -> Path:
    text = template.read_text()
    for key, val in values.items():
        text = text.replace(f"@{key}@", str(val))
    left = sorted(set(re.findall(r"@[A-Z][A-Z0-9_]*@", text)))
    if left:
        raise RuntimeError(f"{template}: unknown placeholders {left}")
    dest.write_text(text)
    dest.chmod(mode)
    return dest
