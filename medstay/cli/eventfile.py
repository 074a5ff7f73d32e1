"""Reading a `{"events": [...]}` file (JSON or YAML) for `medstay rules evaluate`."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from medstay import safeyaml
from medstay.errors import UserError


class _FactLoader(yaml.SafeLoader):
    """YAML 1.1 reads the key `on` as a boolean; facts are dated with `on`, so only
    true/false are booleans here."""


_FactLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_FactLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


MAX_EVENTS = 1000  # a dossier's life is a few dozen facts


def load_events(path: Path) -> list:
    text = safeyaml.read_text(path, "the facts file")
    doc = safeyaml.parse(text, str(path), as_json=path.suffix.lower() == ".json", loader=_FactLoader)
    events = doc if isinstance(doc, list) else doc.get("events") if isinstance(doc, dict) else None
    if not isinstance(events, list):
        raise UserError(f'{path} must hold an object {{"events": [...]}}')
    if len(events) > MAX_EVENTS:
        raise UserError(f"{path} holds {len(events)} facts; at most {MAX_EVENTS} are accepted")
    return events
