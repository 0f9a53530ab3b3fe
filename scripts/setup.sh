#!/usr/bin/env bash
# Installs the Debian packages s2s needs to build, test and run its demo,
# when they are missing (apt-get; run as root, as on CI and fresh machines).
set -euo pipefail
packages=(build-essential cmake pkg-config libsndfile1-dev libfftw3-dev libsqlite3-dev
          check libopenblas-dev libsamplerate0-dev sox)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
