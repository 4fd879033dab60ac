"""Constructor convention with a class (manual 6.1, listing 15).

The manual's listing is a sketch (``create`` lacks its ``def``, the step its
``self``); this is the runnable form.
"""
from seq.lib.nodes import Sequence


# Class Example
# must be named `Tpl`
class Tpl:
    async def my_end_step(self):
        pass

    @staticmethod
    def create(*args, **kw):
        p = Tpl()
        return Sequence.create(*args, p.my_end_step, **kw)
