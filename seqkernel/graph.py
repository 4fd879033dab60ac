"""A script's DAG as a networkx graph (manual figures 1-3).

Containers are not vertices of their own: they appear as their begin and end
nodes, with the children in between. ``Sequence`` (and ``Template``, ``OB``)
chain the children, ``Parallel`` fans out from begin and back into end, and a
``Loop`` chains init, condition and body; the edge that repeats the body is
listed in ``graph.graph["repeats"]`` rather than added (the
condition leads to end), so the graph stays acyclic.
Vertex keys are safe identifiers (``n<sn>``); the text is in attributes.
"""
import networkx as nx

from .nodes import Loop, Parallel, Sequence


def key(node) -> str:
    return f"n{node.sn}"


def build_graph(top) -> nx.DiGraph:
    """The DAG of ``top``'s tree (begin and end nodes must exist: ``top.add_endpoints()``)."""
    graph = nx.DiGraph(containers={}, repeats=[])
    _add(graph, top, None)
    return graph


def _add(graph, node, container):
    """Add ``node`` below ``container``; returns the keys where it is entered and left."""
    if not isinstance(node, Sequence):
        role = node.name if container is not None and node in (container.begin, container.end) else "step"
        graph.add_node(key(node), sn=node.sn, name=node.name, type=node.type_code, role=role,
                       container=container.sn if container is not None else None)
        return key(node), key(node)
    graph.graph["containers"][node.sn] = {
        "name": node.name,
        "type": node.type_code,
        "parent": container.sn if container is not None else None,
    }
    begin, _ = _add(graph, node.begin, node)
    end, _ = _add(graph, node.end, node)
    parts = [_add(graph, child, node) for child in node.inner]
    if isinstance(node, Parallel):
        for entry, exit_ in parts:
            graph.add_edge(begin, entry)
            graph.add_edge(exit_, end)
        if not parts:
            graph.add_edge(begin, end)
    elif isinstance(node, Loop):
        # begin -> init -> condition -> body...; the condition also leads to end (the loop is done)
        previous = begin
        for entry, exit_ in parts:
            graph.add_edge(previous, entry)
            previous = exit_
        graph.add_edge(key(node.condition), end)
        if node.children:
            graph.graph["repeats"].append((previous, key(node.condition)))
    else:
        previous = begin
        for entry, exit_ in parts:
            graph.add_edge(previous, entry)
            previous = exit_
        graph.add_edge(previous, end)
    return begin, end
