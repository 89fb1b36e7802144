#!/usr/bin/env bash
# Installs what Sluice needs to build and test on Debian 12 (run as root).
# Idempotent: does nothing when everything is already there.
set -euo pipefail

RAFT_VERSION=0.22.1
# iproute2, nftables and libfaketime: the fault-injection suite (jepsen/):
# network namespaces, partitions, link faults and per-node clocks.
PKGS=(build-essential cmake pkg-config clang libclang-rt-14-dev
      libuv1-dev librocksdb-dev libcmocka-dev libnghttp2-dev libhttp-parser-dev
      libssl-dev libjansson-dev libcurl4-openssl-dev
      nghttp2-client curl python3 python3-cryptography openssl awscli nats-server
      iproute2 nftables libfaketime python3-boto3)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
raft_ok=0
case "$(dpkg-query -W -f='${Version}' libraft-dev 2>/dev/null || true)" in
  "$RAFT_VERSION"*) raft_ok=1 ;;
esac

# The JavaScript SDK tests need Node.js with npm (any recent version).
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)

if [ ${#missing[@]} -eq 0 ] && [ $raft_ok -eq 1 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]:-} libraft-dev $RAFT_VERSION); run as root" >&2
  exit 1
fi

# libraft 0.15.0 in Debian 12 has split-brain bugs; 0.22.1 is in bookworm-backports.
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  cat > /etc/apt/sources.list.d/bookworm-backports.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
if [ ${#missing[@]} -gt 0 ]; then
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
if [ $raft_ok -eq 0 ]; then
  apt-get install -y -q --no-install-recommends -t bookworm-backports libraft-dev libraft0
fi
