"""Repository-level pytest hook-up.  pytest only honours `pytest_plugins` in the rootdir's
conftest, and only this file is loaded before collection for every invocation from the repo
(`pytest`, `pytest scenarios/...`, `pytest harness/tests/...`), so the scenario plugin is declared
here; it also puts the run into a private network namespace first (hsprobe.pytest_netns)."""

pytest_plugins = ["hsprobe.pytest_plugin"]
