"""The ``fetch`` tool: one page, over httpx, read within the bounds the model backends use
(``models/_bounded_read.py``: a deadline for the whole fetch, redirects, the wait for headers
and the body included, and a size bound counted after decompression), redirects followed by
hand so that each hop's address is checked (``_address.py``). HTML comes back as Markdown,
other text as it is; the result's source is ``web``, untrusted by default."""

from __future__ import annotations

import dataclasses
from typing import Any

from autan.tools import Tool, tool
from autan.web._address import Target, checked_target

MAX_PAGE_BYTES = 2_000_000
"""The most a page may be, decompressed; a larger one is an error for the model."""
PAGE_SECONDS = 20.0
"""The most one fetch may take, every redirect included."""
MAX_REDIRECTS = 5
PAGE_SETTING = "max_page_bytes"
_TEXT_TYPES = ("application/json", "application/xml", "application/xhtml+xml")
_HEADERS = {
    "User-Agent": "autan-fetch (+https://github.com/autan)",
    "Accept": "text/html, text/plain;q=0.9, */*;q=0.5",
    "Accept-Encoding": "gzip, deflate",  # what the bounded read inflates
}


def fetch_tool(
    *,
    allow_private: bool = False,
    seconds: float = PAGE_SECONDS,
    max_bytes: int = MAX_PAGE_BYTES,
) -> Tool:
    """A ``fetch(url)`` tool. ``allow_private``: also loopback, private and link-local
    addresses (off: a page could otherwise make the agent reach this machine's or this
    network's services)."""

    @tool
    def fetch(url: str) -> str:
        """Fetch a web page and return its text (HTML as Markdown).

        Args:
            url: the page's address, starting with http:// or https://
        """
        return fetch_page(url, allow_private, seconds, max_bytes)

    return dataclasses.replace(fetch, source="web")


def fetch_page(url: str, allow_private: bool, seconds: float, max_bytes: int) -> str:
    """The text of the page at ``url`` (after its redirects), headed by its final URL. Run
    on the process's HTTP loop thread (``models/_loop_thread``), where every wait, the
    headers' included, ends at the fetch's deadline (a sync read's timeout starts again with
    each byte)."""
    from autan.models._loop_thread import run_there

    return run_there(_fetch(url, allow_private, seconds, max_bytes))


async def _fetch(url: str, allow_private: bool, seconds: float, max_bytes: int) -> str:
    import asyncio

    import httpx

    from autan.models._bounded_read import within
    from autan.models._bounds import Deadline

    deadline = Deadline(seconds)
    # no proxies from the environment (a proxy would reach the address for us, unchecked);
    # its CA settings (SSL_CERT_FILE, SSL_CERT_DIR) do hold
    verify = httpx.create_ssl_context(trust_env=True)
    async with httpx.AsyncClient(trust_env=False, follow_redirects=False, verify=verify) as client:
        for _ in range(MAX_REDIRECTS + 1):
            name = f"fetch {url}"
            looked_up = asyncio.to_thread(checked_target, url, allow_private)
            target = await within(deadline, name, looked_up)  # a lookup blocks: not here
            response = await _send(client, target, deadline)
            location = response.headers.get("location")
            if not (response.is_redirect and location):
                return await _page(response, target, max_bytes, deadline)
            await response.aclose()
            url = str(target.url.join(location))
    raise ValueError(f"more than {MAX_REDIRECTS} redirects, the last to {url}")


async def _send(client: Any, target: Target, deadline: Any) -> Any:
    import httpx

    from autan.models._bounded_read import within

    name = f"fetch {target.url}"
    deadline.check(name)
    request = client.build_request(
        "GET",
        target.pinned,
        headers={**_HEADERS, "Host": target.url.netloc.decode("ascii")},
        timeout=httpx.Timeout(deadline.timeout(deadline.seconds)),
        extensions={"sni_hostname": target.host},
    )
    try:
        return await within(deadline, name, client.send(request, stream=True))
    except httpx.HTTPError as error:
        raise ValueError(f"could not fetch {target.url}: {error or type(error).__name__}") from None


async def _page(response: Any, target: Target, max_bytes: int, deadline: Any) -> str:
    import httpx

    from autan.models._bounded_read import aread_and_close
    from autan.web._page_text import page_text

    kind = response.headers.get("content-type", "").partition(";")[0].strip().lower()
    if response.status_code >= 400 or not _is_text(kind):
        await response.aclose()
        problem = f"HTTP {response.status_code}" if response.status_code >= 400 else kind
        raise ValueError(f"{target.url} answered {problem}, not a text page")
    name = f"fetch {target.url}"
    try:
        body = await aread_and_close(response, max_bytes, name, deadline, PAGE_SETTING)
    except httpx.HTTPError as error:
        raise ValueError(f"could not fetch {target.url}: {error or type(error).__name__}") from None
    text = body.decode(_charset(response), errors="replace")
    if kind in ("text/html", "application/xhtml+xml") or (not kind and "<html" in text[:512]):
        text = page_text(text)
    return f"{target.url}\n\n{text}"


def _is_text(kind: str) -> bool:
    return not kind or kind.startswith("text/") or kind in _TEXT_TYPES or kind.endswith("+json")


def _charset(response: Any) -> str:
    import codecs

    charset = response.charset_encoding or "utf-8"
    try:
        return codecs.lookup(charset).name
    except LookupError:
        return "utf-8"
