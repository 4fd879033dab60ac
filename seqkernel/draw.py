"""``seqtool draw OUTPUT MODULES...``: draw the DAG of sequencer scripts (manual 7.3).

A ``.dot`` file is written with pydot; ``.png``, ``.jpg`` and ``.svg`` are
rendered by Graphviz's ``dot`` program. Begin nodes are filled circles, end
nodes double circles, containers labelled clusters; every node shows its name
and serial number (the numbers the shell uses).
"""
import os
import sys

import pydot
import trio

from .engine import Engine, LoadError
from .graph import build_graph
from .loading import search_current_directory

FORMATS = {".dot": None, ".png": "png", ".jpg": "jpg", ".jpeg": "jpg", ".svg": "svg"}
_CONTAINER_KIND = {"S": "Sequence", "P": "Parallel", "L": "Loop", "T": "Template", "O": "OB"}


def configure(parser):
    parser.add_argument("output", metavar="OUTPUT", help="file to write: .dot, .png, .jpg or .svg")
    parser.add_argument("modules", metavar="MODULES", nargs="+", help="scripts (dotted module names or .py files)")


def to_pydot(scripts) -> pydot.Dot:
    """One picture of the given top nodes, each script a cluster of clusters."""
    dot = pydot.Dot("seq", graph_type="digraph", rankdir="TB", fontname="Helvetica", compound="true")
    dot.set_node_defaults(fontname="Helvetica", fontsize="11")
    dot.set_edge_defaults(fontname="Helvetica", fontsize="10")
    for script in scripts:
        graph = build_graph(script)
        clusters = {}
        for sn, info in graph.graph["containers"].items():
            kind = _CONTAINER_KIND.get(info["type"], info["type"])
            clusters[sn] = pydot.Cluster(
                f"c{sn}", label=f"{kind}: {info['name']} ({sn})", style="rounded", color="grey40", fontname="Helvetica"
            )
        for sn, info in graph.graph["containers"].items():
            parent = clusters.get(info["parent"], dot)
            parent.add_subgraph(clusters[sn])
        for vertex, data in graph.nodes(data=True):
            target = clusters.get(data["container"], dot)
            target.add_node(pydot.Node(vertex, **_style(data)))
        for tail, head in graph.edges:
            dot.add_edge(pydot.Edge(tail, head))
        for tail, head in graph.graph["repeats"]:
            dot.add_edge(pydot.Edge(tail, head, style="dashed", constraint="false", label="repeat"))
    return dot


def _style(data) -> dict:
    text = f"{data['name']} ({data['sn']})"
    if data["role"] == "begin":
        return {"shape": "circle", "style": "filled", "fillcolor": "black", "label": "", "xlabel": text,
                "width": "0.25", "fixedsize": "true"}
    if data["role"] == "end":
        return {"shape": "doublecircle", "style": "filled", "fillcolor": "black", "label": "", "xlabel": text,
                "width": "0.2", "fixedsize": "true"}
    shape = "diamond" if data["type"] == "D" else "box"
    return {"shape": shape, "style": "rounded", "label": text}


async def _load(modules):
    """The scripts of ``modules``, loaded, or the LoadError of the first that cannot be."""
    async with Engine.open() as engine:
        try:
            for module in modules:
                engine.load(module)
        except LoadError as exc:
            return exc
        return list(engine.root.children)


def main(args) -> int:
    extension = os.path.splitext(args.output)[1].lower()
    if extension not in FORMATS:
        print(f"seqtool draw: cannot draw {args.output}: use a .dot, .png, .jpg or .svg file", file=sys.stderr)
        return 2
    search_current_directory()
    scripts = trio.run(_load, args.modules)
    if isinstance(scripts, LoadError):
        print(f"seqtool draw: {scripts}", file=sys.stderr)
        return 1
    dot = to_pydot(scripts)
    if FORMATS[extension] is None:
        dot.write_raw(args.output)
        return 0
    try:
        dot.write(args.output, format=FORMATS[extension])
    except FileNotFoundError:
        print(
            f"seqtool draw: rendering {extension[1:].upper()} needs Graphviz's 'dot' program, which is not "
            "installed: install the Debian package graphviz (apt-get install graphviz), or draw to a .dot file",
            file=sys.stderr,
        )
        return 1
    return 0
