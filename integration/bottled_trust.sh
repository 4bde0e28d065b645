#!/usr/bin/env bash
# Issue 9 items 2 and 11: what an image brings (its ENV in process.env, its annotations, which
# podman copies into config.json) may only tighten its bottle. BOTTLE_MODE=plain in the image env
# and a bottle.mode=plain annotation are refused at create with one line naming the setting, its
# value and the bottle.json key, and leave nothing behind; each is honoured only with its own
# opt-in (trust.env / trust.annotations), never with the other one's. A profile chosen by
# annotation likewise needs trust.annotations.profiles.
. "$(dirname "$0")/bottled.lib.sh"
bottled_setup trust
before=$(bt_snapshot)
E=trust-env-$$ N=trust-ann-$$ P=trust-prof-$$
bt_track "$E" "$N" "$P"

bottled_agent "$BT/env" sleep 600
bundle_edit "$BT/env" 'c["process"]["env"].append("BOTTLE_MODE=plain")'
bottled_agent "$BT/ann" sleep 600
bundle_edit "$BT/ann" 'c["annotations"] = {"bottle.mode": "plain"}'
bottled_agent "$BT/prof" sleep 600
bundle_edit "$BT/prof" 'c["annotations"] = {"bottle.profile": "extra"}'
bottled_config "$BT/trust-env.json" 'c["trust"] = {"env": {"plain": True}}'
bottled_config "$BT/trust-ann.json" 'c["trust"] = {"annotations": {"plain": True}}'
bottled_config "$BT/trust-prof.json" 'c["trust"] = {"annotations": {"profiles": ["extra"]}}'

# refused WHAT ID BUNDLE CONFIG SETTING KEY: create fails with one line naming both.
refused() {
  local out rc
  # Into a file: a container created in spite of the refusal would hold a pipe open.
  BT_CONFIG_FILE=$4 bt create --bundle "$3" "$2" >"$BT/create.out" 2>&1 </dev/null
  rc=$?
  out=$(cat "$BT/create.out")
  echo "$out"
  out=${out//\\\"/\"} # bottle's log line escapes quotes
  check_fails "$1: create fails" test "$rc" -eq 0
  check_contains "$1: names the setting and its value" "$5" "$out"
  check_contains "$1: names the key that allows it" "$6" "$out"
  check_eq "$1: one line" 1 "$(grep -c . <<<"$out")"
  check_fails "$1: no state left" test -e "$BT_ROOT/$2"
}
refused "untrusted image env BOTTLE_MODE=plain" "$E" "$BT/env" "$BT_CONF" \
  'container env BOTTLE_MODE="plain"' '"trust": {"env": {"plain": true}}'
refused "untrusted annotation bottle.mode=plain" "$N" "$BT/ann" "$BT_CONF" \
  'annotation bottle.mode="plain"' '"trust": {"annotations": {"plain": true}}'
refused "annotation bottle.mode=plain with only the env trusted" "$N" "$BT/ann" \
  "$BT/trust-env.json" 'annotation bottle.mode="plain"' '"trust": {"annotations": {"plain": true}}'
refused "env BOTTLE_MODE=plain with only annotations trusted" "$E" "$BT/env" \
  "$BT/trust-ann.json" 'container env BOTTLE_MODE="plain"' '"trust": {"env": {"plain": true}}'
refused "untrusted annotation bottle.profile" "$P" "$BT/prof" "$BT/trust-ann.json" \
  'annotation bottle.profile="extra"' '"trust": {"annotations": {"profiles": ["extra"]}}'
check_same "refused creates leave nothing behind" "$before" "$(bt_snapshot)"

BT_CONFIG_FILE=$BT/trust-env.json bt create --bundle "$BT/env" "$E" </dev/null >/dev/null
check "trust.env.plain: the env's plain is honoured (create)" test -e "$BT_ROOT/$E"
check "trust.env.plain: start" bt start "$E"
check_fails "trust.env.plain: plain, no sidecar" grep -q '"sidecar"' <<<"$(bt state "$E")"
check_fails "trust.env.plain: plain, no proxy env" grep -q HTTP_PROXY <<<"$(bt exec "$E" env)"
BT_CONFIG_FILE=$BT/trust-ann.json bt create --bundle "$BT/ann" "$N" </dev/null >/dev/null
check "trust.annotations.plain: the annotation's plain is honoured (create)" test -e "$BT_ROOT/$N"
check "trust.annotations.plain: start" bt start "$N"
check_fails "trust.annotations.plain: plain, no sidecar" grep -q '"sidecar"' <<<"$(bt state "$N")"
check_fails "trust.annotations.plain: plain, no proxy env" grep -q HTTP_PROXY <<<"$(bt exec "$N" env)"
BT_CONFIG_FILE=$BT/trust-prof.json bt create --bundle "$BT/prof" "$P" </dev/null >/dev/null
check_contains "trust.annotations.profiles: the profile is honoured (bottled, sidecar up)" \
  '"sidecar": "running"' "$(bt state "$P")"
check_contains "trust.annotations.profiles: its host is in the proxy's allowlist" "\"$INTERNET_IP\"" \
  "$(cat "$BT_ROOT/.bottle/$P/fs/merged/etc/pipelock.yaml" 2>&1)"
for id in "$E" "$N" "$P"; do bt delete --force "$id"; done
check_same "nothing left behind" "$before" "$(bt_snapshot)"
finish
