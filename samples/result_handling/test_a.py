"""The sequence listing 10 reuses: the manual's tutorial script ``a``."""
from seq.samples.a import create_sequence  # noqa: F401
