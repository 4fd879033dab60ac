"""``seqtool``: the manual's meta command (run, draw, shell, server, gui, tino), and the pieces
that are no process of the chain: the GUI launcher and tino, the OTTO simulator."""
