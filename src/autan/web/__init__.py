"""The web as a tool: ``fetch_tool()`` fetches a page for the model, within bounds on size and
time, public addresses only unless the user allows others. Off unless the user adds it
(``autan run --fetch``); its results are untrusted (source ``web``)."""

from autan.web._address import PrivateAddressRefused
from autan.web._fetch import MAX_PAGE_BYTES, MAX_REDIRECTS, PAGE_SECONDS, fetch_tool

__all__ = ["MAX_PAGE_BYTES", "MAX_REDIRECTS", "PAGE_SECONDS", "PrivateAddressRefused", "fetch_tool"]
