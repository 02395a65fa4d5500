"""Secrets never leave in a span: every text exported is scrubbed of the values of the
environment's secret-looking variables (API keys, tokens, passwords).

The journal holds what servers and tools answered; a hostile server can echo the API key in
an answer (as text, a model name or an error). The backends already redact their own key from
error texts; this is the last check before anything leaves the process, for every attribute,
span event and status message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from autan.telemetry._spans import Attributes

_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH", re.IGNORECASE)
SHORTEST = 8
"""Values shorter than this are not treated as secrets (they would mask ordinary words)."""
MASK = "***"


def secrets_of(environment: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The values of secret-looking variables, longest first (so a longer secret that contains
    a shorter one is masked whole)."""
    env = os.environ if environment is None else environment
    values = {v for k, v in env.items() if _SECRET_NAME.search(k) and len(v) >= SHORTEST}
    return tuple(sorted(values, key=len, reverse=True))


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def scrub_attributes(attributes: Attributes, secrets: tuple[str, ...]) -> Attributes:
    if not secrets:
        return attributes
    clean: Attributes = {}
    for name, value in attributes.items():
        if isinstance(value, str):
            value = scrub(value, secrets)
        elif isinstance(value, list):
            value = [scrub(item, secrets) for item in value]
        clean[name] = value
    return clean
