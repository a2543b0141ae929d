#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A throwaway Ceph cluster serving S3 on 127.0.0.1, for the S3 integration
# tests and benchmarks: one monitor, one OSD on memstore (RAM only), RGW with
# the beast frontend, and a test user made with radosgw-admin. Cephx is on,
# with one keyring holding every daemon's key (a test cluster on loopback).
#
#   rgw_server.sh start DIR [PORT]   prints FERRY_S3_* lines (endpoint, keys)
#   rgw_server.sh stop DIR
#
# Needs radosgw, ceph-mon and ceph-osd (Debian packages; scripts/setup
# installs them).
set -euo pipefail

cmd=${1:?usage: rgw_server.sh start|stop DIR [PORT]}
dir=${2:?usage: rgw_server.sh start|stop DIR [PORT]}
port=${3:-7480}

stop() {
  for pidfile in "$dir"/run/*.pid; do
    [ -e "$pidfile" ] || continue
    kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  sleep 1
  for pidfile in "$dir"/run/*.pid; do
    [ -e "$pidfile" ] || continue
    kill -9 "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  done
}

if [ "$cmd" = stop ]; then
  stop
  exit 0
fi

# A free port for the monitor (the S3 port is the caller's choice).
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

stop
rm -rf "$dir"
mkdir -p "$dir"/{run,log,mon,osd,rgw}
conf=$dir/ceph.conf
fsid=$(cat /proc/sys/kernel/random/uuid)
mon_port=$(free_port)
cat >"$conf" <<EOF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$mon_port]
ms bind ipv6 = false
ms bind ipv4 = true
public addr = 127.0.0.1
cluster addr = 127.0.0.1
keyring = $dir/keyring
run dir = $dir/run
pid file = $dir/run/\$name.pid
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
osd crush chooseleaf type = 0
mon data avail warn = 1
mon data avail crit = 0

[mon]
mon data = $dir/mon/\$name

[osd]
osd data = $dir/osd/\$name
osd objectstore = memstore
memstore device bytes = ${FERRY_RGW_STORE_BYTES:-6442450944}
osd max object size = 134217728

[client]
rgw frontends = beast endpoint=127.0.0.1:$port
rgw data = $dir/rgw
# Virtual-hosted requests come as BUCKET.localhost:PORT (libcurl maps
# *.localhost to the loopback address by itself); requests to 127.0.0.1
# are path-style.
rgw dns name = localhost
# Overwritten and deleted objects are freed within seconds, not RGW's
# default two hours: the store is RAM, and benchmarks rewrite GiBs.
rgw gc obj min wait = 5
rgw gc processor period = 5
# SSE-KMS from RGW's built-in test key store, so the tests can see ferry's
# x-amz-server-side-encryption headers take effect; a fixed, public test
# key (bytes 0..31), and plain HTTP allowed for it on this loopback server.
rgw crypt s3 kms backend = testing
rgw crypt s3 kms encryption keys = ferry-test-key=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
rgw crypt require ssl = false
EOF

ceph_() { ceph -c "$conf" --connect-timeout 30 "$@"; }
key() { ceph-authtool "$dir/keyring" --gen-key -n "$@" >/dev/null; }
ceph-authtool --create-keyring "$dir/keyring" >/dev/null
key mon. --cap mon 'allow *'
key client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *'
key osd.0 --cap mon 'allow profile osd' --cap osd 'allow *'
key client.rgw.a --cap mon 'allow rw' --cap osd 'allow rwx'

monmaptool --create --addv a "[v2:127.0.0.1:$mon_port]" --fsid "$fsid" \
  "$dir/monmap" >/dev/null
ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" \
  --keyring "$dir/keyring" >/dev/null
ceph-mon -c "$conf" -i a

osd_uuid=$(cat /proc/sys/kernel/random/uuid)
id=$(ceph_ osd new "$osd_uuid")
mkdir -p "$dir/osd/osd.$id"
ceph-osd -c "$conf" -i "$id" --mkfs --osd-uuid "$osd_uuid" >/dev/null 2>&1
ceph-osd -c "$conf" -i "$id" 2>>"$dir/log/osd.stderr"

radosgw -c "$conf" -n client.rgw.a 2>>"$dir/log/rgw.stderr"

access=FERRYTESTACCESSKEY01
secret=ferry-test-secret-key-0123456789abcdefghij
for _ in $(seq 1 120); do
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then break; fi
  sleep 1
done
curl -s -o /dev/null "http://127.0.0.1:$port/" || {
  echo "rgw_server.sh: RGW did not start; logs in $dir/log" >&2
  exit 1
}
radosgw-admin -c "$conf" user create --uid=ferry --display-name=ferry \
  --access-key="$access" --secret-key="$secret" >/dev/null
echo "FERRY_S3_ENDPOINT=http://127.0.0.1:$port"
echo "FERRY_S3_ACCESS_KEY=$access"
echo "FERRY_S3_SECRET_KEY=$secret"
echo "FERRY_S3_REGION=us-east-1"
echo "FERRY_RGW_CONF=$conf"
