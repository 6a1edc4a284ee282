#!/bin/sh
# Installs Debian's Java runtime (openjdk-17-jre-headless) for the Spark engine, if `java` is missing.
set -e
if command -v java >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "install-java: need root (or sudo) to apt-get install openjdk-17-jre-headless" >&2
        exit 1
    fi
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null
