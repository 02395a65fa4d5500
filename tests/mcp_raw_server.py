"""Stdio "servers" that do not speak MCP, for the tests: ``python tests/mcp_raw_server.py MODE``.

``exit-in-initialize`` reads the initialize request and exits; ``garbage`` answers it with lines
that are not JSON-RPC, then hangs. No SDK is imported, so on a loaded machine the garbage still
comes within the tests' short initialize timeouts (importing the SDK took longer than 2 s there).
"""

import sys
import time


def main() -> None:
    mode = sys.argv[1]
    line = sys.stdin.readline()
    if mode == "garbage":
        print("this is not JSON-RPC", flush=True)
        print('{"jsonrpc": "2.0", "oops": true}', flush=True)
        time.sleep(3600)
    print(f"crashing on {line[:20]!r}", file=sys.stderr, flush=True)
    sys.exit(2)


if __name__ == "__main__":
    main()
