#!/usr/bin/env bash
# Installs ferry into a temporary prefix, then builds and runs a separate
# project against it with find_package(ferry) and with pkg-config, and checks
# that libferry.so exports nothing but the C API.
set -euo pipefail
build=$1
src=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
lib=$(find "$work/prefix" -name 'libferry.so' | head -1)
extra=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^ferry_' || true)
if [ -n "$extra" ]; then echo "exported beyond the C API: $extra"; exit 1; fi
cmake -S "$src" -B "$work/b" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/b" >/dev/null
LD_LIBRARY_PATH=$(dirname "$lib") "$work/b/consumer_c"
"$work/b/consumer_cxx_static"
export PKG_CONFIG_PATH=$(dirname "$lib")/pkgconfig
cc -o "$work/pc" "$src/main.c" $(pkg-config --cflags --libs ferry)
LD_LIBRARY_PATH=$(dirname "$lib") "$work/pc"
echo "consumer: find_package, static link and pkg-config all work"
