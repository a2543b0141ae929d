#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Consumes ferry the ways a project would, from a separate project:
#  1. an install: libferry.so exports nothing but the C API;
#  2. find_package(ferry) for the shared library with every private
#     dependency made unfindable (a consumer needs none of their -dev);
#  3. find_package(ferry COMPONENTS static) for libferry.a;
#  4. pkg-config, shared and --static (libferry.a with Requires.private and
#     Libs.private);
#  5. add_subdirectory() from another project: no tests, no samples, no
#     -Werror imposed.
set -euo pipefail
build=$1
src=$(cd "$(dirname "$0")" && pwd)
ferry_src=$(cd "$src/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
quiet() { "$@" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }; }

cmake --install "$build" --prefix "$work/prefix" >/dev/null
lib=$(find "$work/prefix" -name 'libferry.so' | head -1)
libdir=$(dirname "$lib")
extra=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^ferry_' || true)
if [ -n "$extra" ]; then echo "exported beyond the C API: $extra"; exit 1; fi

# 2. Shared only, with ferry's private dependencies unfindable.
no_deps=()
for dep in CURL OpenSSL absl nlohmann_json zstd EXPAT PkgConfig; do
  no_deps+=("-DCMAKE_DISABLE_FIND_PACKAGE_$dep=ON")
done
quiet cmake -S "$src" -B "$work/shared" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DFERRY_CONSUMER_STATIC=OFF "${no_deps[@]}"
quiet cmake --build "$work/shared"
LD_LIBRARY_PATH=$libdir "$work/shared/consumer_c"
LD_LIBRARY_PATH=$libdir "$work/shared/consumer_cxx"
# ... and asking for the static component then fails, naming a dependency.
if cmake -S "$src" -B "$work/nodeps" -DCMAKE_PREFIX_PATH="$work/prefix" \
    "${no_deps[@]}" >"$work/log" 2>&1; then
  echo "find_package(ferry COMPONENTS static) passed without its dependencies"
  exit 1
fi

# 3. Static.
quiet cmake -S "$src" -B "$work/static" -DCMAKE_PREFIX_PATH="$work/prefix"
quiet cmake --build "$work/static"
"$work/static/consumer_cxx_static"
if ldd "$work/static/consumer_cxx_static" | grep -q libferry; then
  echo "consumer_cxx_static loads libferry.so"; exit 1
fi

# 4. pkg-config.
export PKG_CONFIG_PATH=$libdir/pkgconfig
cc -o "$work/pc" "$src/main.c" $(pkg-config --cflags --libs ferry)
LD_LIBRARY_PATH=$libdir "$work/pc"
# `pkg-config --static` names every private dependency of ferry ...
static_libs=$(pkg-config --static --libs ferry)
for lib in -lcurl -lssl -lcrypto -lzstd -lxxhash -lexpat -labsl_synchronization \
    -labsl_strings -lstdc++; do
  case " $static_libs " in *" $lib "*) ;; *)
    echo "pkg-config --static --libs ferry lacks $lib: $static_libs"; exit 1 ;;
  esac
done
# ... and those are enough to link libferry.a. (The dependencies themselves
# are linked shared here: a fully static libcurl needs -dev packages of its
# own private dependencies, nghttp2, ssh2, ldap..., which is curl's matter.)
private=$(sed -n 's/^Libs.private: //p' "$PKG_CONFIG_PATH/ferry.pc")
cc -o "$work/pc_static" "$src/main.c" $(pkg-config --cflags ferry) \
  "$libdir/libferry.a" \
  $(pkg-config --libs $(pkg-config --print-requires-private ferry)) $private
"$work/pc_static"
if ldd "$work/pc_static" | grep -q libferry; then
  echo "pc_static loads libferry.so"; exit 1
fi

# 5. add_subdirectory from another project (its default build type).
quiet cmake -S "$src/subproject" -B "$work/sub" -DFERRY_SOURCE_DIR="$ferry_src"
quiet cmake --build "$work/sub" --target vendored_c -j"$(nproc)"
"$work/sub/vendored_c"
echo "consumer: install, find_package (shared without dependencies, static)," \
  "pkg-config (shared, --static) and add_subdirectory all work"
