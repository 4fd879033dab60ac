import json

import pytest

from otto_fixtures import sample_ob


@pytest.fixture
def ob_folder(tmp_path):
    """A folder of OBs for two instruments, FORS2 (obId 1, 2) and UVES (obId 3)."""
    folder = tmp_path / "obs"
    folder.mkdir()
    for ob_id, instrument, name in [(1, "FORS2", "first"), (3, "UVES", "blue"), (2, "FORS2", "second")]:
        (folder / f"{name}.json").write_text(json.dumps(sample_ob(ob_id, instrument, name)))
    return folder
