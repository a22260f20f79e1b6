#!/usr/bin/env bash
# Install everything the test suite needs (Debian packages and the Python test extras), then run it.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
NEED=""
command -v influxd >/dev/null 2>&1 || NEED="$NEED influxdb"
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || NEED="$NEED mosquitto"
command -v dot >/dev/null 2>&1 || NEED="$NEED graphviz"  # the DAG layout's Graphviz path
command -v chromium >/dev/null 2>&1 || NEED="$NEED chromium"  # the web UI's browser tests
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || NEED="$NEED nats-server"  # cluster tests
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || NEED="$NEED iproute2"  # network namespaces of the cluster tests
if [ -n "$NEED" ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $NEED
fi

python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[test]'
export PATH="$PWD/.venv/bin:/usr/sbin:$PATH"
exec .venv/bin/python -m pytest "$@"
