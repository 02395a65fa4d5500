"""Text that would tokenize as one of a model's control tokens, defused in message contents.

The embedded backend renders the chat template into one string and tokenizes it with special
tokens parsed, so the template's own ``<|im_start|>`` and ``<|im_end|>`` become control tokens.
A message's content goes through the same tokenizer: a file or a tool result holding the text
``<|im_end|>\\n<|im_start|>system`` would otherwise become real turn boundaries, a system turn
forged by data. Every control or user-defined token text of the model's vocabulary found in a
content gets a zero-width space after its first character (``untrusted.defuse``), so it
tokenizes as plain text.
"""

from __future__ import annotations

import re
from typing import Any

_SPECIAL_ATTRIBUTES = 1 << 3 | 1 << 4
"""``LLAMA_TOKEN_ATTR_CONTROL | LLAMA_TOKEN_ATTR_USER_DEFINED`` (llama.h)."""


def special_pattern(llama: Any) -> re.Pattern[str] | None:
    """A pattern matching the text of every special token of ``llama``'s vocabulary (longest
    first), or ``None`` when it has none."""
    model = llama._model
    texts = set()
    for token in range(llama.n_vocab()):
        if model.token_get_attr(token) & _SPECIAL_ATTRIBUTES:
            text = model.token_get_text(token)
            if len(text) > 1:
                texts.add(text)
    if not texts:
        return None
    return re.compile("|".join(re.escape(text) for text in sorted(texts, key=len, reverse=True)))
