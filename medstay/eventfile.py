"""Reading a `{"events": [...]}` file (JSON or YAML) for `medstay rules evaluate`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from medstay.errors import UserError


class _FactLoader(yaml.SafeLoader):
    """YAML 1.1 reads the key `on` as a boolean; facts are dated with `on`, so only
    true/false are booleans here."""


_FactLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_FactLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                  list("tTfF"))


def load_yaml(text: str):
    """YAML with `on`, `yes`, `no` kept as text."""
    return yaml.load(text, Loader=_FactLoader)


def load_events(path: Path) -> list:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        doc = json.loads(text) if path.suffix.lower() == ".json" else load_yaml(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise UserError(f"{path} is not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: "
                        f"{str(exc).splitlines()[0]}") from None
    if isinstance(doc, list):
        return doc
    if not isinstance(doc, dict) or not isinstance(doc.get("events"), list):
        raise UserError(f'{path} must hold an object {{"events": [...]}}')
    return doc["events"]
