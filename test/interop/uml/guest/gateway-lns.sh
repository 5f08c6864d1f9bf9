# Sourced by /srv/guest.sh inside UML guest A (after /srv/env): the seed's L2TP/IPsec gateway,
# whole: `l2tp-ts firewall --form iptables-legacy --apply`, strongSwan (charon) or Libreswan (pluto,
# $IKE) loaded with what `l2tp-ts ipsec-config --kind $IKE` printed, and `l2tp-ts lns` on the seed config.
# Related: gateway.ts (writes the config), gateway-common.sh, gateway.test.ts.
#
# /srv/env: NET_DEV NET_ADDR REPO GUEST_SCRIPTS MAX_S IKE LSW_ROOT
# Markers: /srv/ready (LNS listens, rules and IPsec loaded); the host creates /srv/query to get
# `l2tp-ts ctl --json sessions` into /srv/sessions.json, the SAs into ipsec-sas.txt and
# xfrm-state.txt (answer: /srv/query-done), and /srv/stop to end: the firewall counters are
# dumped, the LNS gets SIGTERM (StopCCN), /srv/done.
. "$GUEST_SCRIPTS/gateway-common.sh"
CLI="$REPO/bin/l2tp-ts.js"
: >/srv/result
mark start
# ipv6: node and charon ask for net-pf-10 anyway; tun: `lns --tun` (the default with --config)
modprobe -a ipv6 tun $IPSEC_MODS ip_tables iptable_filter x_tables xt_tcpudp xt_policy || mark "modprobe failed"
fast_crypto_modprobe
mark modules-loaded
ip addr add "$NET_ADDR" dev "$NET_DEV" && ip link set "$NET_DEV" up

# the firewall exactly as the CLI applies it (iptables-legacy: this kernel has no nft ip/inet family)
read -r T0 _ </proc/uptime
node "$CLI" firewall --form iptables-legacy --apply >/srv/firewall-apply.txt 2>&1
res FIREWALL_RC $?
read -r T1 _ </proc/uptime
res NODE_FIREWALL_S "$(secs_since "$T0" "$T1")"
iptables-legacy -S >/srv/iptables-rules.txt 2>&1
mark firewall-applied

ike_start || mark "ipsec start failed"

read -r T0 _ </proc/uptime
node "$CLI" lns --config /etc/xl2tpd/xl2tpd.conf --debug >/srv/lns.log 2>&1 &
LNS_PID=$!
if wait_for 60 udp_listening 06A5; then
    read -r T1 _ </proc/uptime
    res LNS_START_S "$(secs_since "$T0" "$T1")"
    mark lns-listening
else
    mark "lns not listening after 60 s"
fi
cat /proc/meminfo >/srv/meminfo-ready
touch /srv/ready

stop_or_query() { [ -e /srv/stop ] || { [ -e /srv/query ] && [ ! -e /srv/query-done ]; }; }
while wait_for "${MAX_S:-90}" stop_or_query; do
    [ -e /srv/stop ] && break
    # the SAs while the session is up (the client's charon deletes them when it stops)
    ike_list_sas
    ip xfrm state >/srv/xfrm-state.txt 2>&1
    ip xfrm policy >/srv/xfrm-policy.txt 2>&1
    node "$CLI" ctl --json sessions >/srv/sessions.json 2>/srv/ctl.err
    mark "ctl sessions rc=$?"
    touch /srv/query-done
done
mark stop
# what the LNS process costs inside the guest (VmRSS/VmHWM of node)
grep -E '^(VmHWM|VmRSS)' "/proc/$LNS_PID/status" >/srv/lns-mem.txt 2>/dev/null
iptables-legacy -L -n -v -x >/srv/iptables.txt 2>&1
ip -s xfrm state >/srv/xfrm-state-stats.txt 2>&1
kill "$LNS_PID" 2>/dev/null
if wait_for 10 gone "$LNS_PID"; then wait "$LNS_PID"; res LNS_EXIT $?; else kill -9 "$LNS_PID"; res LNS_EXIT killed; fi
ike_stop
mark end
touch /srv/done
