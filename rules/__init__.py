"""The law as code: article 9ter dossiers' stages, deadlines and warnings.

Pure functions of the recorded facts; this package imports nothing else of the project
(no database, no Prefect), so it can be read, tested and run on its own.
"""

from rules.deadlines import Deadline
from rules.events import FIELDS, KINDS, Event, InvalidEvent, parse_event, plain_text
from rules.lifecycle import Evaluation, evaluate
from rules.stages import STAGES, TERMINAL
from rules.warnings import Warning

__all__ = [
    "Deadline",
    "Evaluation",
    "Event",
    "FIELDS",
    "InvalidEvent",
    "KINDS",
    "STAGES",
    "TERMINAL",
    "Warning",
    "evaluate",
    "parse_event",
    "plain_text",
]
