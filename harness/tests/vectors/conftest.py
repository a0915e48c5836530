"""Fixtures for the test-vector tests: where the committed vectors are, their independent check
(vecrules, run once per session), and mutated copies of them."""

import json
from pathlib import Path

import pytest

import vecrules
from vecrules import IDENTITIES, VECTORS


@pytest.fixture(scope="session")
def committed_docs() -> dict:
    return vecrules.load_dir(VECTORS)


@pytest.fixture(scope="session")
def independent_check(committed_docs) -> vecrules.Problems:
    return vecrules.check_docs(committed_docs, IDENTITIES)


@pytest.fixture
def write_vectors(tmp_path):
    """write_vectors(docs) -> a directory holding the families in docs (as JSON, indent 2)."""

    def write(docs: dict, name: str = "vec") -> Path:
        d = tmp_path / name
        d.mkdir()
        for fam, doc in docs.items():
            (d / f"{fam}.json").write_text(json.dumps(doc, indent=2) + "\n")
        return d

    return write
