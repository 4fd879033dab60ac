"""
Error example (manual 7.1): Tpl.b raises ZeroDivisionError.

After ``run`` the sequence is CANCELLED|ERROR, Tpl.b is FINISHED|ERROR and
Tpl.c CANCELLED; ``retry`` runs Tpl.b again and ``continue`` goes on with Tpl.c.
"""
import asyncio
import logging

from seq.lib.nodes import Action, Sequence

logger = logging.getLogger(__name__)


class Tpl:
    async def a(self):
        """Does nothing wrong"""
        await asyncio.sleep(0)
        logger.info("a")

    async def b(self):
        """Divides by zero"""
        logger.info("b")
        x = 1 / 0
        return x

    async def c(self):
        """Runs after b"""
        logger.info("c")

    @staticmethod
    def create(*args, **kw):
        t = Tpl()
        return Sequence.create(Action(t.a), Action(t.b, id="b"), Action(t.c), **kw)
