# Shared by the engine tests of inbound (bottled_inbound_docker.sh, bottled_inbound_podman.sh): a
# busybox page server to publish with -p, and reading it from the host's loopback.
#   SERVE              sh -c script: serves "agent NAME" ($0) on :8080
#   page PORT          what 127.0.0.1:PORT answers
#   wait_page PORT TXT until it answers TXT (an engine's run -d returns before the server is up)
#   set_inbound FILE V network.inbound of the bottle.json FILE becomes V
# shellcheck disable=SC2034 # SERVE is used by the sourcing test
SERVE='mkdir -p /www && echo "agent $0" >/www/index.html && exec busybox httpd -f -p 8080 -h /www'
page() { curl -sS -m 5 "http://127.0.0.1:$1/" 2>&1; }
wait_page() {
  local _
  for _ in $(seq 100); do
    [ "$(page "$1")" = "$2" ] && return 0
    sleep 0.05
  done
  return 1
}
set_inbound() {
  python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); c["network"]["inbound"] = sys.argv[2]
json.dump(c, open(sys.argv[1], "w"))' "$1" "$2"
}
