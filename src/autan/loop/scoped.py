"""The ``scoped`` trust policy: once untrusted text is in the context, a call with side
effects runs only when the user's task names its tool and no argument value came from
untrusted text alone; else it is refused. Pure, no model, no person.

- **Scope.** The task must share a content word (by stem) with the action of the tool's name,
  its first word (``autan.protocols.relevance.names``): "send the report to Bob" scopes
  ``send_email``; "the file with the plans" does not scope ``delete_file``. A tool the task
  does not name cannot be started by what a page says.
- **Provenance.** No argument value may occur in an untrusted result without occurring in the
  trusted text (``autan.loop.provenance``): an IBAN, address or file id that only a mail or a
  page supplied does not reach a side effect, even of a tool the task named.
"""

from __future__ import annotations

from collections.abc import Iterable

from autan.loop.provenance import tainted_values
from autan.protocols.relevance import names

__all__ = ["SHOWN_VALUES", "scoped_refusal"]

SHOWN_VALUES = 3
"""At most this many tainted values are named in a refusal's reason."""


def scoped_refusal(
    tool_name: str,
    arguments: dict[str, object],
    untrusted: Iterable[str],
    task: str,
    trusted: str,
) -> str:
    """Why the ``scoped`` policy refuses the call, or ``""`` when it lets it run."""
    if not names(task, tool_name):
        return f"{tool_name} has side effects and the user's task does not name it"
    tainted = tainted_values(arguments, untrusted, trusted)
    if not tainted:
        return ""
    shown = ", ".join(repr(value) for value in tainted[:SHOWN_VALUES])
    more = f" and {len(tainted) - SHOWN_VALUES} more" if len(tainted) > SHOWN_VALUES else ""
    return f"{tool_name} has side effects and only untrusted text supplied {shown}{more}"
