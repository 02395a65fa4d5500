"""Log-probabilities of short continuations of a prompt, from llama.cpp's KV cache.

The prompt is evaluated once (after what the cache already holds); each candidate continuation
is then evaluated token by token from there, candidates that share leading tokens share their
evaluation, and the cache is cut back to the prompt after each. Nothing is generated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


class LlamaScores:
    """``score(texts)``: for each text, log P(text | prompt) under the model. Call ``release``
    before generating again (the cache is cut back to the prompt)."""

    def __init__(self, llama: Any, prompt: list[int]) -> None:
        self._llama = llama
        self._prompt = list(prompt)
        self._logits = [self._evaluate_prompt()]
        self._path: list[int] = []
        self._eos = llama.token_eos()
        self.evaluated = 0
        """Tokens evaluated for candidates (the prompt's are not counted)."""

    def score(self, texts: Sequence[str]) -> list[float]:
        sequences = [self._tokens(text) for text in texts]
        order = sorted(range(len(texts)), key=lambda index: sequences[index])
        scores = [0.0] * len(texts)
        for index in order:  # sorted: neighbours share the most leading tokens
            scores[index] = self._sequence_logprob(sequences[index])
        return scores

    def end_logprob(self, text: str) -> float:
        """log P(the reply ends right after ``text``)."""
        return self._sequence_logprob([*self._tokens(text), self._eos])

    def top_text(self) -> str:
        """The text of the most likely next token."""
        token = int(self._logits[0].argmax())
        return bytes(self._llama.detokenize([token])).decode("utf-8", errors="ignore")

    def release(self) -> None:
        self._llama.n_tokens = len(self._prompt)
        self._path.clear()
        del self._logits[1:]

    def _tokens(self, text: str) -> list[int]:
        return list(self._llama.tokenize(text.encode(), add_bos=False, special=False))

    def _sequence_logprob(self, tokens: list[int]) -> float:
        """Sum of the tokens' log-probabilities; the evaluated path is kept, so a sequence that
        shares leading tokens with the one before evaluates only what differs."""
        common = 0
        for mine, theirs in zip(tokens[:-1], self._path, strict=False):
            if mine != theirs:
                break
            common += 1
        del self._path[common:], self._logits[common + 1 :]
        self._llama.n_tokens = len(self._prompt) + common
        for token in tokens[common:-1]:
            self._llama.eval([token])
            self.evaluated += 1
            self._path.append(token)
            self._logits.append(self._last_logits())
        return sum(_log_softmax_at(self._logits[i], token) for i, token in enumerate(tokens))

    def _evaluate_prompt(self) -> Any:
        llama = self._llama
        held = llama.input_ids[: llama.n_tokens].tolist()
        same = 0
        for mine, theirs in zip(self._prompt, held, strict=False):
            if mine != theirs:
                break
            same += 1
        llama.n_tokens = min(same, len(self._prompt) - 1)  # the last token gives the logits
        llama.eval(self._prompt[llama.n_tokens :])
        return self._last_logits()

    def _last_logits(self) -> Any:
        import llama_cpp
        import numpy as np

        pointer = llama_cpp.llama_get_logits_ith(self._llama.ctx, -1)
        return np.ctypeslib.as_array(pointer, shape=(self._llama.n_vocab(),)).copy()


def _log_softmax_at(logits: Any, token: int) -> float:
    top = float(logits.max())
    import numpy as np

    return float(logits[token]) - top - math.log(float(np.exp(logits - top).sum()))
