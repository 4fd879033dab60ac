"""The tree as data (the protocol's snapshot nodes) and as the manual's ``nodes`` listing."""
from .states import display_state, flag_names


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


def format_nodes(root: dict) -> str:
    """The manual's ``nodes`` output for a snapshot's ``root`` node.

    One line per node, ``<type><+ or -><-> (<sn>) <name> <STATE|FLAGS>``, two
    spaces of indentation per depth; the root itself is not shown, its begin
    and end nodes come first, then the loaded scripts.
    """
    lines = []

    def emit(node, depth):
        marker = "+" if node["children"] else "-"
        state = display_state(node["state"], node["flags"])
        lines.append(f"{'  ' * depth}{node['type']}{marker}- ({node['sn']}) {node['name']} {state}")
        for child in node["children"]:
            emit(child, depth + 1)

    children = root["children"]
    endpoints = [c for c in children[:1] + children[-1:] if c["name"] in ("begin", "end") and not c["children"]]
    for node in endpoints + [c for c in children if not any(c is e for e in endpoints)]:
        emit(node, 0)
    return "\n".join(lines)
