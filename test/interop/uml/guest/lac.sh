# Sourced by /srv/guest.sh inside a UML guest (after /srv/env): real xl2tpd as LAC plus pppd as
# the PPP client, dialled through xl2tpd's control pipe ("c <section>"). Written by harness.ts
# (bootLac); config in /etc/xl2tpd and /etc/ppp is private (bind mounts from /srv/bind).
#
# /srv/env: NET_DEV NET_ADDR LNS_IP SECTION PPP_WAIT HOLD PING_COUNT PING_SIZE PING6 KERNEL
# Writes /srv/result (KEY=value lines, read by the host), /srv/timeline, and these markers:
#   ppp-up (by /etc/ppp/ip-up), ppp-down (by ip-down), up-done (ping finished: the host may now
#   act: kill the guest, stop the LNS…), done (result complete). The host creates /srv/release
#   to end a HOLD early.
# Every fork+exec costs ~0.1 s in UML, so wait loops use builtins and one `sleep` per round.

mark() { read -r U _ </proc/uptime; echo "$U $*" >>/srv/timeline; echo "[$U] $*"; }
res() { echo "$1=$2" >>/srv/result; }
wait_for() {   # wait_for SECS CMD... : poll CMD about every 0.2 s
    read -r U _ </proc/uptime; _end=$(( ${U%.*} + $1 )); shift
    while :; do
        "$@" && return 0
        read -r U _ </proc/uptime; [ "${U%.*}" -ge "$_end" ] && return 1
        sleep 0.2
    done
}
gone() { ! kill -0 "$1" 2>/dev/null; }
# pppd gave up (auth failure, LCP failure) or xl2tpd saw it exit / the call close
in_file() { [ -f "$1" ] && while read -r l; do case $l in *"$2"*) return 0;; esac; done <"$1"; return 1; }
# (or the LNS closed the call/tunnel: CDN or StopCCN, "Connection closed to …")
ppp_dead() {
    in_file /srv/pppd.log "Exit." || in_file /srv/xl2tpd.log "pppd exited" ||
        in_file /srv/pppd.log "Connection terminated" || in_file /srv/xl2tpd.log "Connection closed to"
}
up_or_dead() { [ -e /srv/ppp-up ] || ppp_dead; }
down_or_released() { [ -e /srv/ppp-down ] || [ -e /srv/release ] || ppp_dead; }
# global6 IFN: sets G6 to IFN's global IPv6 address (fe80:: is scope 20), not tentative
global6() {
    [ -r /proc/net/if_inet6 ] || return 1
    while read -r a _ _ scope flags dev; do
        [ "$dev" = "$1" ] && [ "$scope" = 00 ] && [ $((0x$flags & 0x40)) = 0 ] || continue
        G6=$(echo "$a" | sed 's/\(....\)/\1:/g; s/:$//'); return 0
    done </proc/net/if_inet6
    return 1
}
secs_since() { echo "$2 - $1" | bc 2>/dev/null; }

: >/srv/result
mark start
MODS="ppp_generic ppp_async ppp_synctty ipv6"   # ipv6: pppd and xl2tpd ask for net-pf-10 anyway
[ "${KERNEL:-0}" = 1 ] && MODS="$MODS l2tp_ppp"
modprobe -a $MODS || mark "modprobe failed"
ip addr add "$NET_ADDR" dev "$NET_DEV" && ip link set "$NET_DEV" up
mark net-up

xl2tpd -D -c /etc/xl2tpd/xl2tpd.conf -s /etc/xl2tpd/l2tp-secrets -p /run/xl2tpd.pid \
    -C /run/xl2tpd/l2tp-control >/srv/xl2tpd.log 2>&1 &
XPID=$!
wait_for 10 test -p /run/xl2tpd/l2tp-control || mark "no control pipe"
read -r T_DIAL _ </proc/uptime
echo "c $SECTION" >/run/xl2tpd/l2tp-control
mark "dial c $SECTION"
res T_DIAL "$T_DIAL"

if wait_for "$PPP_WAIT" up_or_dead && [ -e /srv/ppp-up ]; then
    read -r IFN LOCAL REMOTE T_UP DNS1 DNS2 </srv/ppp-up
    mark "ppp-up $IFN local=$LOCAL remote=$REMOTE"
    res PPP_UP 1; res IFNAME "$IFN"; res LOCAL_IP "$LOCAL"; res REMOTE_IP "$REMOTE"
    res DIAL_TO_PPP_UP_S "$(secs_since "$T_DIAL" "$T_UP")"
    [ "${DNS1:--}" != - ] && res DNS "$DNS1"
    [ "${DNS2:--}" != - ] && res DNS "$DNS2"
    read -r MTU </sys/class/net/"$IFN"/mtu && res IF_MTU "$MTU"
    if ping -n -c "${PING_COUNT:-2}" -W 2 -I "$IFN" "$REMOTE"; then res PING ok; else res PING fail; fi
    if [ -n "${PING_SIZE:-}" ]; then
        # DF set (-M do): the packet must cross the link whole (ICMP payload + 28 = IP length)
        if ping -n -c 2 -W 2 -M do -s "$PING_SIZE" -I "$IFN" "$REMOTE"; then res PING_DF ok; else res PING_DF fail; fi
        # one byte more must not fit the link MTU
        if ping -n -c 1 -W 1 -M do -s $((PING_SIZE + 1)) -I "$IFN" "$REMOTE"; then res PING_DF_OVER ok; else res PING_DF_OVER fail; fi
    fi
    if [ -n "${PING6:-}" ]; then
        # +ipv6: the kernel forms a global address from the LNS's RA (SLAAC); /proc/net/if_inet6
        # lists it with scope 00 once DAD is done (flags without 0x40 tentative).
        wait_for 15 global6 "$IFN" && res IPV6_ADDR "$G6"
        if [ -n "${G6:-}" ] && ping -6 -n -c 2 -W 2 -I "$IFN" "$PING6"; then res PING6 ok; else res PING6 fail; fi
    fi
    mark ping-done
    touch /srv/up-done
    if [ "${HOLD:-0}" -gt 0 ]; then
        mark "holding up to ${HOLD}s"
        wait_for "$HOLD" down_or_released
    fi
    if [ -e /srv/ppp-down ] || ppp_dead; then
        read -r U _ </proc/uptime
        mark "link terminated by the LNS side"
        res LINK_DOWN peer; res UP_TO_DOWN_S "$(secs_since "$T_UP" "$U")"
    else
        echo "d $SECTION" >/run/xl2tpd/l2tp-control
        mark "hangup d $SECTION"
        res LINK_DOWN local
        wait_for 10 test -e /srv/ppp-down && mark ppp-down
    fi
else
    res PPP_UP 0
    if ppp_dead; then mark "pppd ended before IPCP came up"; else mark "no ppp after ${PPP_WAIT}s"; fi
    touch /srv/up-done
    echo "d $SECTION" >/run/xl2tpd/l2tp-control
    mark "hangup d $SECTION"
fi
if grep -q '^LINK_DOWN=local' /srv/result; then
    wait_for 2 ppp_dead   # kernel mode: pppd lingers ~6 s on its TermReqs (no TermAck after StopCCN)
elif [ -f /srv/pppd.log ]; then
    wait_for 3 in_file /srv/xl2tpd.log "pppd exited"   # for its exit code
fi
# pppd's own words on how it went (auth result, E=691, who terminated) and its exit code
grep -i -E 'authentic|fail|E=[0-9]|terminat|hangup|No response|refus|reject' /srv/pppd.log 2>/dev/null |
    while read -r l; do res PPPD_LINE "$l"; done
# why the LNS closed the call or tunnel (CDN / StopCCN result and error codes, RFC 2661 §4.4.2)
grep -E -o '(peer closing for reason|Connection closed to) .*' /srv/xl2tpd.log 2>/dev/null |
    while read -r l; do res XL2TPD_LINE "$l"; done
grep -o 'pppd exited for call [0-9]* with code [0-9]*' /srv/xl2tpd.log 2>/dev/null |
    while read -r _ _ _ _ _ _ _ code; do res PPPD_EXIT "$code"; done
kill "$XPID" 2>/dev/null
wait_for 5 gone "$XPID" || { mark "xl2tpd still alive, SIGKILL"; kill -9 "$XPID"; }
mark end
touch /srv/done
