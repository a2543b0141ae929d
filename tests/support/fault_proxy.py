# SPDX-License-Identifier: Apache-2.0
"""A scripted HTTP/1.1 fault proxy for ferry's reliability tests.

It sits between ferry and a real server on 127.0.0.1 and, per connection or
per request, breaks things the way networks and servers do: a reset in the
middle of a body (SO_LINGER 0), a stall, a slow drip, a truncated response,
bursts of 5xx, a close after N bytes, or a real response rewritten into a
hostile one (absurd offsets, huge headers and bodies, other-origin
Locations, redirect loops, error bodies behind a 200).

Use in-process:

    proxy = FaultProxy(upstream_url, [Fault("reset", method="PATCH", nth=2,
                                            after=100_000)])
    ... point ferry at proxy.url(path) ...
    assert proxy.fired("reset") == 1
    proxy.stop()

or as a program: fault_proxy.py UPSTREAM_URL SCRIPT.json (a list of Fault
keyword dicts; rewrites there are static: set_headers, remove_headers, ...).
It prints FAULT_PROXY_URL=http://127.0.0.1:PORT, then one JSON line per
request it saw.
"""

import json
import socket
import struct
import sys
import threading
import time
import urllib.parse

MAX_HEAD = 64 * 1024


class Fault:
    """One scripted fault.

    Matching: `method` (None: any), `nth` (the nth request of that method,
    1-based; None: from the first), `times` (how many matching requests in a
    row it hits; 0: all), `conn` (only on the nth client connection).

    Actions and their parameters:
      reset     after=N body bytes forwarded, the client gets a TCP RST
      close     after=N body bytes forwarded, the client gets a clean FIN
      stall     after=N body bytes, nothing more moves for `seconds`
                (default: until the client gives up)
      drip      the request body is read at `rate` bytes/s
      truncate  the real response is cut after `keep` bytes, then FIN
      status    the request never reaches the server; answer `status` with
                `headers` and `body`
      rewrite   forward, then change the real response: `status`,
                `set_headers` {name: value or callable(old)->new},
                `remove_headers`, `interim_headers` {name: value} (set in
                each 1xx before it), `pad_header` (bytes of one extra header),
                `body` (bytes), `body_size` (bytes of filler), or `fn`
                (callable(Response) in-process)
      redirect  answer `status` (307) with Location `location`; "{self}" in it
                is this proxy's origin + the request path (a loop)
      hang      read the whole request, never answer
    """

    def __init__(self, action, method=None, nth=None, times=1, conn=None,
                 **params):
        self.action = action
        self.method = method
        self.nth = nth
        self.times = times
        self.conn = conn
        self.params = params
        self.hits = 0

    def matches(self, method, method_index, conn_index):
        if self.method is not None and self.method != method:
            return False
        if self.conn is not None and self.conn != conn_index:
            return False
        if self.nth is not None and method_index < self.nth:
            return False
        return self.times == 0 or self.hits < self.times


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of [name, value]
        self.body = body
        # Interim (1xx) responses before this one, each a Response; sent
        # ahead of it, heads only.
        self.interims = []

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def set_header(self, name, value):
        self.remove_header(name)
        self.headers.append([name, value])

    def remove_header(self, name):
        self.headers = [h for h in self.headers if h[0].lower() != name.lower()]

    def serialize(self):
        self.remove_header("Transfer-Encoding")
        self.set_header("Content-Length", str(len(self.body)))
        head = f"HTTP/1.1 {self.status} {self.reason}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in self.headers) + "\r\n"
        return (b"".join(_head_only(i) for i in self.interims) +
                head.encode("latin-1") + self.body)


class _Closed(Exception):
    pass


def _recv_head(sock, buf):
    """Reads up to the blank line; returns (head bytes, leftover bytes)."""
    while b"\r\n\r\n" not in buf:
        if len(buf) > MAX_HEAD:
            raise _Closed()
        data = sock.recv(65536)
        if not data:
            raise _Closed()
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    return head, rest


def _parse_headers(lines):
    out = []
    for line in lines:
        name, _, value = line.partition(":")
        out.append([name.strip(), value.strip()])
    return out


def _get(headers, name):
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


class FaultProxy:
    def __init__(self, upstream, faults=(), host="127.0.0.1",
                 strip_query=False):
        # strip_query: forward without the query string, as a gateway that
        # checked a signed URL would (the tus server keys uploads by path).
        self.strip_query = strip_query
        u = urllib.parse.urlsplit(upstream)
        self.upstream = (u.hostname, u.port or 80)
        self.faults = list(faults)
        self.lock = threading.Lock()
        self.log = []  # dicts: conn, method, path, headers, fault
        self.method_counts = {}
        self.connections = 0
        self.body_bytes = 0  # request body bytes forwarded to the server
        self._socks = set()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.origin = f"http://{host}:{self.port}"
        self.on_log = None
        self._stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path="/files/"):
        return self.origin + path

    def fired(self, action=None):
        with self.lock:
            return sum(1 for e in self.log if e["fault"] and
                       (action is None or e["fault"] == action))

    def requests(self, method=None):
        with self.lock:
            return [e for e in self.log
                    if method is None or e["method"] == method]

    def stop(self):
        self._stopping = True
        try:
            # Wakes the accept() and stops listening at once.
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            socks = list(self._socks)
        for s in socks:
            try:
                s.close()
            except OSError:
                pass

    # ---- plumbing ------------------------------------------------------

    def _accept(self):
        while not self._stopping:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                index = self.connections
                self._socks.add(client)
            threading.Thread(target=self._serve, args=(client, index),
                             daemon=True).start()

    def _pick(self, method, conn_index):
        with self.lock:
            n = self.method_counts.get(method, 0) + 1
            self.method_counts[method] = n
            for f in self.faults:
                if f.matches(method, n, conn_index):
                    f.hits += 1
                    return f
        return None

    def _record(self, entry):
        with self.lock:
            self.log.append(entry)
        if self.on_log:
            self.on_log(entry)

    def _serve(self, client, conn_index):
        upstream = None
        buf = b""
        try:
            while True:
                head, buf = _recv_head(client, buf)
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = (lines[0].split(" ", 2) + ["", ""])[:3]
                headers = _parse_headers(lines[1:])
                if self.strip_query and "?" in path:
                    bare = path.split("?", 1)[0]
                    head = head.replace(path.encode("latin-1"),
                                        bare.encode("latin-1"), 1)
                fault = self._pick(method, conn_index)
                self._record({"conn": conn_index, "method": method,
                              "path": path, "headers": headers,
                              "fault": fault.action if fault else None})
                if upstream is None:
                    upstream = socket.create_connection(self.upstream)
                    with self.lock:
                        self._socks.add(upstream)
                keep = self._exchange(client, upstream, method, head, headers,
                                      buf, fault)
                if keep is None:
                    return
                buf = keep
        except (_Closed, OSError):
            pass
        finally:
            for s in (client, upstream):
                if s is not None:
                    try:
                        s.close()
                    except OSError:
                        pass

    def _body_length(self, headers):
        te = _get(headers, "transfer-encoding")
        if te and "chunked" in te.lower():
            return "chunked"
        cl = _get(headers, "content-length")
        return int(cl) if cl else 0

    def _exchange(self, client, upstream, method, head, headers, buf, fault):
        """One request/response. Returns bytes already read past the request
        (the next request's start), or None to end the connection."""
        action = fault.action if fault else None
        p = fault.params if fault else {}
        length = self._body_length(headers)
        forward = action not in ("status", "redirect", "hang")
        if forward:
            upstream.sendall(head + b"\r\n\r\n")
        if length == "chunked":
            # A body of unknown length (ferry's compressed tus PATCH):
            # relayed as it arrives, framing and all.
            buf, broken = self._relay_chunked(client, upstream, buf, forward,
                                              action, p.get("after", 65536))
            if broken:
                return self._break(client, action, p)
            length = 0
        after = p.get("after", length // 2)
        sent = 0
        body_left = length
        rate = p.get("rate")
        started = time.monotonic()
        while body_left > 0:
            if action in ("reset", "close", "stall") and sent >= after:
                return self._break(client, action, p)
            if buf:
                piece, buf = buf[:body_left], buf[body_left:]
            else:
                want = min(body_left, 65536)
                if rate:
                    want = min(want, max(1, rate // 20))
                piece = client.recv(want)
                if not piece:
                    raise _Closed()
            if action in ("reset", "close", "stall") and sent + len(piece) > after:
                cut = after - sent
                buf = piece[cut:] + buf
                piece = piece[:cut]
            if forward and piece:
                upstream.sendall(piece)
                with self.lock:
                    self.body_bytes += len(piece)
            sent += len(piece)
            body_left -= len(piece)
            if rate:
                # Pace to `rate` bytes/s since the body began.
                due = started + sent / rate
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
        if action in ("reset", "close", "stall"):
            return self._break(client, action, p)
        if action == "hang":
            self._wait_closed(client, p.get("seconds"))
            return None
        if action == "status":
            r = Response(p.get("status", 503), "Fault",
                         [list(h) for h in p.get("headers", {}).items()],
                         p.get("body", b""))
            client.sendall(r.serialize())
            return buf
        if action == "redirect":
            loc = p.get("location", "{self}").replace(
                "{self}", self.origin + _path_of(head))
            r = Response(p.get("status", 307), "Redirect",
                         [["Location", loc]], b"")
            client.sendall(r.serialize())
            return buf
        raw, response = self._read_response(upstream, method)
        if action == "truncate":
            client.sendall(raw[:p.get("keep", max(1, len(raw) // 2))])
            client.shutdown(socket.SHUT_WR)
            self._wait_closed(client, 5)
            return None
        if action == "rewrite":
            self._rewrite(response, p)
            client.sendall(response.serialize() if method != "HEAD" else
                           b"".join(_head_only(i) for i in response.interims) +
                           _head_only(response))
        else:
            client.sendall(raw)
        if (response.header("connection") or "").lower() == "close":
            return None
        return buf

    def _relay_chunked(self, client, upstream, buf, forward, action, after):
        """Relays a chunked request body. Returns (bytes read past it,
        whether a reset/close/stall is due after `after` payload bytes)."""
        breaks = action in ("reset", "close", "stall")
        sent = 0

        def more(buf):
            data = client.recv(65536)
            if not data:
                raise _Closed()
            return buf + data

        def relay(data):
            if forward and data:
                upstream.sendall(data)

        while True:
            while b"\r\n" not in buf:
                buf = more(buf)
            line, _, buf = buf.partition(b"\r\n")
            size = int(line.split(b";")[0], 16)
            relay(line + b"\r\n")
            if size == 0:
                while True:  # trailers, up to the empty line
                    while b"\r\n" not in buf:
                        buf = more(buf)
                    trailer, _, buf = buf.partition(b"\r\n")
                    relay(trailer + b"\r\n")
                    if not trailer:
                        return buf, breaks
            while size > 0:
                if breaks and sent >= after:
                    return buf, True
                if not buf:
                    buf = more(buf)
                piece = buf[:min(size, max(1, after - sent) if breaks
                                 else size)]
                buf = buf[len(piece):]
                relay(piece)
                if forward:
                    with self.lock:
                        self.body_bytes += len(piece)
                sent += len(piece)
                size -= len(piece)
            while len(buf) < 2:
                buf = more(buf)
            relay(buf[:2])
            buf = buf[2:]

    def _break(self, client, action, p):
        if action == "reset":
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                              struct.pack("ii", 1, 0))
            client.close()
        elif action == "close":
            client.shutdown(socket.SHUT_RDWR)
        else:
            self._wait_closed(client, p.get("seconds"))
        return None

    def _wait_closed(self, client, seconds):
        deadline = None if seconds is None else time.monotonic() + seconds
        client.settimeout(0.2)
        while deadline is None or time.monotonic() < deadline:
            if self._stopping:
                return
            try:
                if not client.recv(65536):
                    return
            except socket.timeout:
                continue
            except OSError:
                return

    def _read_response(self, upstream, method):
        interims, interim_raw, rest = [], b"", b""
        while True:
            head, rest = _recv_head(upstream, rest)
            lines = head.decode("latin-1").split("\r\n")
            parts = lines[0].split(" ", 2)
            status = int(parts[1])
            reason = parts[2] if len(parts) > 2 else ""
            headers = _parse_headers(lines[1:])
            if not 100 <= status < 200:
                break
            # An interim response (the IETF draft's 104): kept, then the
            # final one is read.
            interims.append(Response(status, reason, headers, b""))
            interim_raw += head + b"\r\n\r\n"
        body = b""
        if method == "HEAD" or status in (204, 304) or status < 200:
            pass
        else:
            length = self._body_length(headers)
            if length == "chunked":
                body, rest = _read_chunked(upstream, rest)
                headers = [h for h in headers
                           if h[0].lower() != "transfer-encoding"]
                headers.append(["Content-Length", str(len(body))])
                head = _serialize_head(lines[0], headers)
            else:
                while len(rest) < length:
                    data = upstream.recv(65536)
                    if not data:
                        raise _Closed()
                    rest += data
                body, rest = rest[:length], rest[length:]
        raw = interim_raw + head + b"\r\n\r\n" + body
        response = Response(status, reason, headers, body)
        response.interims = interims
        return raw, response

    def _rewrite(self, r, p):
        if "status" in p:
            r.status = p["status"]
        for name in p.get("remove_headers", ()):
            r.remove_header(name)
        for name, value in p.get("set_headers", {}).items():
            r.set_header(name, value(r.header(name)) if callable(value)
                         else value)
        if "pad_header" in p:
            r.headers.append(["X-Padding", "a" * p["pad_header"]])
        if "body" in p:
            r.body = p["body"]
        if "body_size" in p:
            r.body = b"x" * p["body_size"]
        for name, value in p.get("interim_headers", {}).items():
            for i in r.interims:
                i.set_header(name, value)
        if "fn" in p:
            p["fn"](r)


def _path_of(head):
    return head.split(b"\r\n", 1)[0].split(b" ")[1].decode("latin-1")


def _serialize_head(status_line, headers):
    return (status_line + "\r\n" + "\r\n".join(
        f"{k}: {v}" for k, v in headers)).encode("latin-1")


def _head_only(r):
    # A HEAD response announces no body of its own.
    head = f"HTTP/1.1 {r.status} {r.reason}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in r.headers) + "\r\n"
    return head.encode("latin-1")


def _read_chunked(sock, buf):
    body = b""
    while True:
        while b"\r\n" not in buf:
            data = sock.recv(65536)
            if not data:
                raise _Closed()
            buf += data
        size_line, _, buf = buf.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        while len(buf) < size + 2:
            data = sock.recv(65536)
            if not data:
                raise _Closed()
            buf += data
        if size == 0:
            # Trailers are not used by the servers under test.
            return body, buf[2:]
        body += buf[:size]
        buf = buf[size + 2:]


def main():
    upstream, script = sys.argv[1], sys.argv[2]
    with open(script) as f:
        faults = [Fault(**spec) for spec in json.load(f)]
    proxy = FaultProxy(upstream, faults)
    proxy.on_log = lambda e: print(json.dumps(
        {k: e[k] for k in ("conn", "method", "path", "fault")}), flush=True)
    print(f"FAULT_PROXY_URL={proxy.origin}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        proxy.stop()


if __name__ == "__main__":
    main()
