"""Dotted keys: a nested mapping (a config, a run's summary) as one level of `a.b.c` keys."""


def flatten(tree: dict | list, lists: bool = False, prefix: str = "") -> dict[str, object]:
    """{'optimizer.lr': 0.05, ...}: every leaf of the nested mappings in `tree` by its dotted path;
    with `lists`, the entries of lists too ({'weights.0': 0.47, ...}), else a list is one leaf."""
    leaves: dict[str, object] = {}
    for key, value in tree.items() if isinstance(tree, dict) else enumerate(tree):
        path = f"{prefix}{key}"
        if isinstance(value, dict) or (lists and isinstance(value, list)):
            leaves.update(flatten(value, lists, path + "."))
        else:
            leaves[path] = value
    return leaves
