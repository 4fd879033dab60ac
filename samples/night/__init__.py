"""A night with the sequence manager: the observing mode IRIS_ifsonly on three sequencers.

``seq.yaml`` names the mode (resources IRIS and TCS; sequencers ESW, IRIS, TCS) and the
script each sequencer loads: ``esw`` (the driving sequencer: it checks that the others
answer), ``iris`` (sets the instrument up) and ``tcs`` (points the telescope). The OB
``night_ob.json`` runs the template ``observe`` on the ESW sequencer, which drives
the two others: it sends IRIS the exposures of ``iris_exposures.json`` (template
``iris_expose``), then runs TCS and IRIS at once. Every script simulates its hardware
(``seq.lib.simulating()``): start the components with ``--simulation``.
docs/sequence-manager.md walks through it.
"""
