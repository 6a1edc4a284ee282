#!/bin/sh
# Installs Debian packages for a test tool when CHECK (a shell command) says it is missing:
#   sh scripts/apt-install.sh NAME 'CHECK' PACKAGE...
# Makefile: `browser` (chromium and a CJK font, tests/test_report_browser.py) and `setup-spark`
# (Java for the Spark engine, tests/test_spark_facts.py).
set -e
name=$1; check=$2; shift 2
if sh -c "$check" >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "$name: need root (or sudo) to apt-get install $*" >&2
        exit 1
    fi
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
