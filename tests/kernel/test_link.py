"""KernelLink, the parent's side: what it reports when the kernel cannot start or goes away."""
import os

import pytest
import trio

from seqkernel.link import KernelDied, KernelLink
from kernel_helpers import ok


async def test_a_kernel_that_dies_before_its_welcome_is_reported_with_its_status(tmp_path):
    broken = tmp_path / "seqkernel"
    broken.mkdir()
    (broken / "__init__.py").write_text("")
    (broken / "__main__.py").write_text("raise SystemExit(3)\n")  # an installation that cannot start
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    with pytest.raises(KernelDied) as died:
        with trio.fail_after(10):
            async with KernelLink.spawn(env=env, cwd=tmp_path):
                pass
    assert died.value.returncode == 3
    assert str(died.value) == "the kernel ended: exit status 3"


async def test_closing_the_link_stops_the_kernel_and_a_kill_is_seen(kernel):
    await ok(kernel, "load seq.samples.a")
    kernel.process.kill()
    with trio.fail_after(10):
        assert await kernel.wait_exit() == -9
    with pytest.raises(KernelDied, match="killed by SIGKILL"):
        await kernel.command("nodes")


async def test_aclose_ends_the_kernel_with_status_0(kernel):
    with trio.fail_after(10):
        assert await kernel.aclose() == 0
    assert kernel.process.returncode == 0
