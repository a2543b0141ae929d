#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Debian packages, as a packager and a user meet them: cpack builds
# libferry0, libferry-dev, ferry-tools and python3-ferry; their contents are
# checked; lintian runs, and every tag it still reports must be explained
# in packaging/lintian-explained.txt; then they are installed on this
# machine, used (a consumer built against /usr, the CLIs and their man
# pages, the Python package), and removed again.
set -euo pipefail
build=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
packages=(python3-ferry ferry-tools libferry-dev libferry0)
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
cleanup() {
  as_root dpkg -r "${packages[@]}" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
cleanup; work=$(mktemp -d)

(cd "$work" && cpack --config "$build/CPackConfig.cmake" -B "$work/out" \
  >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; exit 1; }
version=$(sed -n 's/^project(ferry VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
deb() { echo "$work/out/$1_${version}-1_$2.deb"; }
arch=$(dpkg --print-architecture)

# Contents: each package holds what it should, and nothing of the others.
contents() { dpkg-deb -c "$1" | awk '{print $6}'; }
expect() {  # FILE PATTERN...
  local file=$1; shift
  for pattern in "$@"; do
    if ! contents "$file" | grep -Eq "$pattern"; then
      echo "$(basename "$file") lacks $pattern"; contents "$file"; exit 1
    fi
  done
}
refuse() {  # FILE PATTERN
  if contents "$1" | grep -Eq "$2"; then
    echo "$(basename "$1") holds $2"; exit 1
  fi
}
expect "$(deb libferry0 "$arch")" 'usr/lib/(.+/)?libferry\.so\.0$' \
  'libferry\.so\.0\.' 'doc/libferry0/copyright'
refuse "$(deb libferry0 "$arch")" '\.h$|\.a$|libferry\.so$'
expect "$(deb libferry-dev "$arch")" 'include/ferry/ferry\.h$' \
  'include/ferry/ferry\.hpp$' 'include/ferry/ferry_version\.h$' \
  'libferry\.a$' 'libferry\.so$' 'cmake/ferry/ferryConfig\.cmake$' \
  'pkgconfig/ferry\.pc$'
expect "$(deb ferry-tools "$arch")" 'bin/ferry-upload$' 'bin/ferry-doctor$' \
  'man1/ferry-upload\.1\.gz$' 'man1/ferry-doctor\.1\.gz$' \
  'bash-completion/completions/ferry-upload$' \
  'zsh/vendor-completions/_ferry-upload$'
expect "$(deb python3-ferry all)" 'dist-packages/ferry/__init__\.py$' \
  'dist-packages/ferry/py\.typed$'
refuse "$(deb python3-ferry all)" 'libferry\.so'
dpkg-deb -f "$(deb ferry-tools "$arch")" Depends | grep -q 'libferry0 (= '

# lintian: every tag left is one we explain.
explained="$src/packaging/lintian-explained.txt"
lintian --no-tag-display-limit "$work"/out/*.deb >"$work/lintian.log" 2>&1 || true
unexplained=0
while read -r level package tag _; do
  [ -z "$tag" ] && continue
  if ! grep -Eq "^${package%:}[[:space:]]+${tag}([[:space:]]|$)" "$explained"; then
    echo "lintian: unexplained $level $package $tag"; unexplained=1
  fi
done < <(grep -E '^[EWI]: ' "$work/lintian.log" | sed 's/^\([EWI]\): /\1 /')
if [ "$unexplained" != 0 ]; then cat "$work/lintian.log"; exit 1; fi

# Install and use.
as_root dpkg -i "$work"/out/*.deb >"$work/dpkg.log" 2>&1 ||
  { cat "$work/dpkg.log"; exit 1; }
test "$(/usr/bin/ferry-upload --version)" = "ferry-upload $version"
man -w ferry-upload >/dev/null
cmake -S "$src/tests/consumer" -B "$work/consumer" >"$work/log" 2>&1 ||
  { cat "$work/log"; exit 1; }
cmake --build "$work/consumer" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
"$work/consumer/consumer_c"
"$work/consumer/consumer_cxx_static"
cc -o "$work/pc" "$src/tests/consumer/main.c" $(pkg-config --cflags --libs ferry)
"$work/pc"
# The Python package finds libferry0's library through the system search.
(cd "$work" && env -u FERRY_LIBRARY -u PYTHONPATH /usr/bin/python3 -c \
  "import ferry, sys; sys.exit(0 if ferry.__version__ == '$version' else 1)")
echo "packaging: 4 packages built, checked, linted, installed, used and removed"
