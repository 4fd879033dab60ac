"""Result handling (manual 5.6): listing 10 as printed, with the sequence it reuses (``test_a``)."""
