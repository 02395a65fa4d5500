#!/usr/bin/env bash
# Installs each peer framework into its own virtual environment under benchmarks/.venvs/<peer>.
# Peers are never dependencies of autan. Versions are pinned in requirements/<peer>.txt.
# Usage: benchmarks/peers/install.sh [PEER...]   (default: all)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venvs="$here/../.venvs"
peers=("$@")
[ ${#peers[@]} -eq 0 ] && peers=(smolagents pydantic_ai openai_agents langgraph agno)
for peer in "${peers[@]}"; do
    requirements="$here/requirements/$peer.txt"
    [ -f "$requirements" ] || { echo "unknown peer: $peer" >&2; exit 2; }
    python3 -m venv "$venvs/$peer"
    "$venvs/$peer/bin/python" -m pip install -q --upgrade pip
    "$venvs/$peer/bin/python" -m pip install -q -r "$requirements"
    echo "$peer: installed from $requirements"
done
