#!/usr/bin/env bash
# Installs every Debian 12 package zkslice needs to build and test.
# Idempotent and non-interactive: packages already present are skipped by apt-get.
set -euo pipefail

PACKAGES=(
  cmake ninja-build g++ pkgconf ccache libssl-dev zlib1g-dev
  libsodium-dev libgmp-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libboost-dev librocksdb-dev catch2 libonnx-dev prometheus-cpp-dev
  libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev libtomlplusplus-dev
  libbenchmark-dev libonnx-testdata
  prometheus curl python3
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
