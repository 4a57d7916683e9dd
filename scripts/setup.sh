#!/usr/bin/env bash
# Installs the system libraries ferdash builds against, only those that are missing (Debian/Ubuntu).
set -euo pipefail

packages=(pkg-config libopenblas-dev libncurses-dev libpng-dev libjpeg62-turbo-dev zlib1g-dev opencv-data tmux
          libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libavdevice-dev ffmpeg)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "ferdash setup: installing ${missing[*]}" >&2
    sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v swift >/dev/null 2>&1; then
    for dir in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
        [[ -x $dir/swift ]] && export PATH="$dir:$PATH"
    done
fi
command -v swift >/dev/null 2>&1 || { echo "ferdash setup: a Swift 6 toolchain is needed (swift.org/install)" >&2; exit 1; }
