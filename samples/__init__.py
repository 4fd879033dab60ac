"""Every listing of the manual as a runnable sample, plus sample OB files.

Import them as the manual does, ``seq.samples.a``; ``samples.a`` names the same module.
"""
import seq  # noqa: F401  (makes samples.X and seq.samples.X one module)
