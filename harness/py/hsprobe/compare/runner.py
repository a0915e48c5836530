"""Run one external tool with a wall-clock bound and measure it."""

import subprocess
import time


def run_tool(argv, timeout, cwd=None) -> dict:
    t0 = time.monotonic()
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout, cwd=cwd)
        rc, out = proc.returncode, proc.stdout
    except subprocess.TimeoutExpired as e:
        rc, out = None, e.output or b""
    return {"argv": [str(a) for a in argv], "rc": rc, "wall_s": round(time.monotonic() - t0, 3),
            "output": out.decode("utf-8", "replace")}
