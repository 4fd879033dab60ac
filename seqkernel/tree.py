"""The tree as data: the nodes of the protocol's snapshots (``protocol.format_nodes`` shows them)."""
from .states import flag_names


def node_dict(node) -> dict:
    """``{"sn", "id", "name", "type", "state", "flags", "description", "children"}``."""
    return {
        "sn": node.sn,
        "id": node.id,
        "name": node.name,
        "type": node.type_code,
        "state": node.state.value,
        "flags": flag_names(node.flags),
        "description": node.description,
        "children": [node_dict(child) for child in node.subnodes],
    }
