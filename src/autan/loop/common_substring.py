"""The longest text two strings share, in time linear in their lengths: a suffix automaton of
one string (at most ``2n - 1`` states, built in ``O(n)``), then one pass over each other string
(``O(m)``: every character moves one transition forward, or suffix links back at most as far
as it came). difflib's ``SequenceMatcher`` takes ``O(n * m)`` for the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable


class SuffixAutomaton:
    """Every substring of ``text``, as paths from the root state."""

    __slots__ = ("_length", "_link", "_next")

    def __init__(self, text: str) -> None:
        self._next: list[dict[str, int]] = [{}]
        self._link = [-1]
        self._length = [0]
        last = 0
        for char in text:
            last = self._extend(last, char)

    @property
    def states(self) -> int:
        return len(self._length)

    def longest_common(self, texts: Iterable[str]) -> str:
        """The longest substring of the automaton's text that occurs in one of ``texts``
        (the first found, on a tie)."""
        best = ""
        for text in texts:
            found = self._longest_in(text)
            if len(found) > len(best):
                best = found
        return best

    def _longest_in(self, text: str) -> str:
        nexts, links, lengths = self._next, self._link, self._length
        state = matched = longest = end = 0
        for at, char in enumerate(text):
            while state and char not in nexts[state]:
                state = links[state]
                matched = lengths[state]
            if char in nexts[state]:
                state = nexts[state][char]
                matched += 1
            if matched > longest:
                longest, end = matched, at + 1
        return text[end - longest : end]

    def _extend(self, last: int, char: str) -> int:
        current = self._state(self._length[last] + 1, -1, {})
        state = last
        while state != -1 and char not in self._next[state]:
            self._next[state][char] = current
            state = self._link[state]
        if state == -1:
            self._link[current] = 0
            return current
        target = self._next[state][char]
        if self._length[state] + 1 == self._length[target]:
            self._link[current] = target
            return current
        clone = self._state(self._length[state] + 1, self._link[target], dict(self._next[target]))
        while state != -1 and self._next[state].get(char) == target:
            self._next[state][char] = clone
            state = self._link[state]
        self._link[target] = self._link[current] = clone
        return current

    def _state(self, length: int, link: int, transitions: dict[str, int]) -> int:
        self._next.append(transitions)
        self._link.append(link)
        self._length.append(length)
        return len(self._length) - 1
