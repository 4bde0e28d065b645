#!/usr/bin/env bash
# bottle-connect (runtime/helpers/bottle_connect.c) against a proxy double on loopback: the
# CONNECT request it sends, the relay both ways (stdin EOF half-closes; bytes that arrive with
# the 200 are kept), a refusal's status line and body on stderr with exit 1, and its argument
# and proxy-address errors. No root, no namespaces.
. "$(dirname "$0")/lib.sh"
HELPER=$BUILD/bottle-connect
[ -x "$HELPER" ] || skip "bottle-connect not built ($HELPER)"
command -v python3 >/dev/null || skip "needs python3"
T=$(mktemp -d /tmp/bottle-connect-test.XXXXXX)
PROXY_PID=
trap '[ -n "$PROXY_PID" ] && kill $PROXY_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

# The double: CONNECT ok.test:22 -> 200, then "SSH-2.0-double" right behind the head (same
# write, like a server that speaks first), then one "echo: LINE" per line until the client
# half-closes, then "bye" and close. Anything else -> 403 with pipelock's body. Every request
# head is appended to requests.log.
cat >"$T/proxy.py" <<'PY'
import socket, sys, threading
log = open(sys.argv[1], "a", buffering=1)
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
def serve(c):
    head = b""
    while b"\r\n\r\n" not in head:
        d = c.recv(1)
        if not d:
            return
        head += d
    log.write(head.decode(errors="replace").replace("\r\n", "|") + "\n")
    target = head.split(b" ")[1].decode()
    if target != "ok.test:22":
        body = "CONNECT blocked: domain not in allowlist: %s\n" % target.rsplit(":", 1)[0]
        c.sendall(("HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\n"
                   "Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)).encode())
        c.close()
        return
    c.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\nSSH-2.0-double\n")
    buf = b""
    while True:
        d = c.recv(4096)
        if not d:
            break
        buf += d
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            c.sendall(b"echo: " + line + b"\n")
    c.sendall(b"bye\n")
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
coproc PROXY { exec python3 "$T/proxy.py" "$T/requests.log"; }
PROXY_PID=$PROXY_PID
read -r PORT <&"${PROXY[0]}"
check "proxy double listens" test -n "$PORT"
P=127.0.0.1:$PORT

out=$(printf 'one\ntwo\n' | "$HELPER" -p "$P" ok.test 22 2>"$T/err")
rc=$?
check_eq "tunnel: exit 0" 0 "$rc"
check_eq "tunnel: the server's first bytes, the echoes, and the end after stdin's EOF" \
  "SSH-2.0-double
echo: one
echo: two
bye" "$out"
check_eq "tunnel: nothing on stderr" "" "$(cat "$T/err")"
check_eq "the CONNECT request" "CONNECT ok.test:22 HTTP/1.1|Host: ok.test:22||" "$(head -1 "$T/requests.log")"

out=$(echo x | "$HELPER" -p "$P" evil.test 22 2>"$T/err")
rc=$?
check_eq "refused: exit 1" 1 "$rc"
check_eq "refused: nothing on stdout" "" "$out"
check_eq "refused: status line and pipelock's body on stderr" \
  "bottle-connect: the proxy refused the tunnel: HTTP/1.1 403 Forbidden
CONNECT blocked: domain not in allowlist: evil.test" "$(cat "$T/err")"

out=$(echo env | BOTTLE_PROXY=$P "$HELPER" ok.test 22 2>&1)
check_contains "proxy from BOTTLE_PROXY" "echo: env" "$out"
out=$(echo env2 | env -u BOTTLE_PROXY HTTPS_PROXY="http://$P/" "$HELPER" ok.test 22 2>&1)
check_contains "proxy from HTTPS_PROXY (URL form)" "echo: env2" "$out"
out=$(echo v6 | "$HELPER" -p "$P" ::1 22 2>&1)
check_contains "IPv6 target in brackets" "CONNECT [::1]:22 HTTP/1.1" "$(tail -1 "$T/requests.log")"

n=$(wc -l <"$T/requests.log")
bad() { # WHAT EXPECTED ARGS...
  local what=$1 want=$2
  shift 2
  out=$(env -u BOTTLE_PROXY -u HTTPS_PROXY -u https_proxy -u HTTP_PROXY -u http_proxy \
    "$HELPER" "$@" </dev/null 2>&1)
  local rc=$?
  if [ "$rc" -ne 0 ] && [[ $out == *"$want"* ]]; then ok "$what"; else fail "$what (rc=$rc: $out)"; fi
}
bad "no arguments: usage" "usage: bottle-connect"
bad "a host with CR/LF cannot add header lines" "not allowed in a host name" -p "$P" $'ok.test\r\nX-Evil: 1' 22
bad "a host with a space" "not allowed in a host name" -p "$P" "ok.test 22" 22
bad "port out of range" "is not a port number" -p "$P" ok.test 65536
bad "port not a number" "is not a port number" -p "$P" ok.test ssh
bad "no proxy anywhere" "no proxy: pass -p ip:port" ok.test 22
bad "proxy by name is refused" "is not a numeric IP address" -p localhost:"$PORT" ok.test 22
bad "proxy without port" "is not ip:port" -p 127.0.0.1 ok.test 22
# A loopback port nobody listens on (bound then closed by us).
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
bad "proxy unreachable" "cannot connect to the proxy at 127.0.0.1:$closed" -p "127.0.0.1:$closed" ok.test 22
check_eq "bad arguments sent no request" "$n" "$(wc -l <"$T/requests.log")"
finish
