import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


@pytest.fixture
def db_path(tmp_path):
    return str(tmp_path / "store.db")
