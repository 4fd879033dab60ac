import pytest

from seqkernel.link import KernelLink


@pytest.fixture
async def kernel(tmp_path):
    """A real kernel process (``python -m seqkernel --fd N``), greeted.

    It runs in tmp_path, so modules written there load by dotted name; kernel.log goes there too.
    """
    async with KernelLink.spawn(session_dir=tmp_path, cwd=tmp_path, client="tests") as link:
        yield link
