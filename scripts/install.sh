#!/usr/bin/env bash
# Installs seq and everything it needs on a fresh Debian machine:
# the system packages (Graphviz for `seqtool draw`, Chromium for the GUI tests,
# tmux for the terminal tests, Redis for the location service across hosts and its
# tests) and the Python package with its test extras.
set -euo pipefail
cd "$(dirname "$0")/.."

system_packages=(graphviz chromium tmux redis-server)
missing=()
for pkg in "${system_packages[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi

python3 -m pip install -q -e '.[test]'
# Where Python comes from pyenv, its shims must learn the new console scripts.
if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
