# Sourced by /srv/guest.sh inside UML guest B (after /srv/env): an L2TP/IPsec road-warrior
# client as built-in VPN clients are: strongSwan or Libreswan ($IKE; IKEv1 PSK, ESP transport mode for udp/1701),
# then the real xl2tpd (LAC) + pppd (MS-CHAPv2 only) dialling through the SA (RFC 3193).
# Related: gateway.ts (writes the config), gateway-common.sh, gateway.test.ts.
#
# /srv/env: NET_DEV NET_ADDR GUEST_SCRIPTS PPP_WAIT HOLD IKE LSW_ROOT
# Waits for /srv/go from the host (the gateway is ready and the plain-L2TP probe is done).
# Writes /srv/result (KEY=value, harness.ts parseLacResult keys plus IPSEC_SA, SA_UP_S), and the
# markers up-done (ping finished; the host may look at the gateway), done. The host creates
# /srv/release to end the hold early.
. "$GUEST_SCRIPTS/gateway-common.sh"
ppp_dead() {
    in_file /srv/pppd.log "Exit." || in_file /srv/xl2tpd.log "pppd exited" ||
        in_file /srv/pppd.log "Connection terminated" || in_file /srv/xl2tpd.log "Connection closed to"
}
up_or_dead() { [ -e /srv/ppp-up ] || ppp_dead; }
down_or_released() { [ -e /srv/ppp-down ] || [ -e /srv/release ] || ppp_dead; }

: >/srv/result
mark start
modprobe -a ppp_generic ppp_async ppp_synctty ipv6 $IPSEC_MODS || mark "modprobe failed"
fast_crypto_modprobe
ip addr add "$NET_ADDR" dev "$NET_DEV" && ip link set "$NET_DEV" up
mkdir -p /run/xl2tpd
mark net-up
wait_for 120 test -e /srv/go && mark "go from host" || mark "no go from host after 120 s"

if ike_start; then
    read -r T0 _ </proc/uptime
    if ike_initiate gw l2tp; then
        read -r T1 _ </proc/uptime
        res IPSEC_SA up; res SA_UP_S "$(secs_since "$T0" "$T1")"; mark "IPsec SA up"
    else
        res IPSEC_SA fail; mark "IPsec SA failed (see charon.log / pluto.log)"
    fi
else
    res IPSEC_SA fail
fi
ip xfrm state >/srv/xfrm-state.txt 2>&1
ip xfrm policy >/srv/xfrm-policy.txt 2>&1

xl2tpd -D -c /etc/xl2tpd/xl2tpd.conf -s /etc/xl2tpd/l2tp-secrets -p /run/xl2tpd.pid \
    -C /run/xl2tpd/l2tp-control >/srv/xl2tpd.log 2>&1 &
XPID=$!
wait_for 10 test -p /run/xl2tpd/l2tp-control || mark "no control pipe"
read -r T_DIAL _ </proc/uptime
echo "c gw" >/run/xl2tpd/l2tp-control
mark "dial c gw"
if wait_for "${PPP_WAIT:-30}" up_or_dead && [ -e /srv/ppp-up ]; then
    read -r IFN LOCAL REMOTE T_UP DNS1 DNS2 </srv/ppp-up
    mark "ppp-up $IFN local=$LOCAL remote=$REMOTE"
    res PPP_UP 1; res IFNAME "$IFN"; res LOCAL_IP "$LOCAL"; res REMOTE_IP "$REMOTE"
    res DIAL_TO_PPP_UP_S "$(secs_since "$T_DIAL" "$T_UP")"
    [ "${DNS1:--}" != - ] && res DNS "$DNS1"
    read -r MTU </sys/class/net/"$IFN"/mtu && res IF_MTU "$MTU"
    if ping -n -c 3 -W 2 -I "$IFN" "$REMOTE"; then res PING ok; else res PING fail; fi
    mark ping-done
    touch /srv/up-done
    wait_for "${HOLD:-20}" down_or_released
    echo "d gw" >/run/xl2tpd/l2tp-control
    mark "hangup d gw"
    wait_for 10 test -e /srv/ppp-down && mark ppp-down
else
    res PPP_UP 0
    if ppp_dead; then mark "pppd ended before IPCP came up"; else mark "no ppp after ${PPP_WAIT:-30} s"; fi
    touch /srv/up-done
    echo "d gw" >/run/xl2tpd/l2tp-control
fi
wait_for 3 in_file /srv/xl2tpd.log "pppd exited"
grep -i -E 'authentic|fail|E=[0-9]|terminat|hangup|No response|refus|reject' /srv/pppd.log 2>/dev/null |
    while read -r l; do res PPPD_LINE "$l"; done
ip -s xfrm state >/srv/xfrm-state-stats.txt 2>&1
kill "$XPID" 2>/dev/null
wait_for 5 gone "$XPID" || { mark "xl2tpd still alive, SIGKILL"; kill -9 "$XPID"; }
ike_stop
mark end
touch /srv/done
