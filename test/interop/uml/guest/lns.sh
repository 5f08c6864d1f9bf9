# Sourced by /srv/guest.sh inside a UML guest (after /srv/env): the real xl2tpd as LNS with pppd
# as the PPP server, configured from the seed files (bind-mounted /etc/xl2tpd and /etc/ppp).
# The reference that l2tp-ts lns replaces. Written by harness.ts (bootPppdLns).
#
# /srv/env: NET_DEV NET_ADDR LNS_MAX
# Markers: /srv/ready once xl2tpd listens; the host creates /srv/stop to end it (SIGTERM to
# xl2tpd, as an init system would); /srv/ppp-up.all has one line per session that came up.

mark() { read -r U _ </proc/uptime; echo "$U $*" >>/srv/timeline; echo "[$U] $*"; }
wait_for() {
    read -r U _ </proc/uptime; _end=$(( ${U%.*} + $1 )); shift
    while :; do
        "$@" && return 0
        read -r U _ </proc/uptime; [ "${U%.*}" -ge "$_end" ] && return 1
        sleep 0.2
    done
}
gone() { ! kill -0 "$1" 2>/dev/null; }

mark start
modprobe -a ppp_generic ppp_async ppp_synctty ipv6 || mark "modprobe failed"
ip addr add "$NET_ADDR" dev "$NET_DEV" && ip link set "$NET_DEV" up
xl2tpd -D -c /etc/xl2tpd/xl2tpd.conf -s /etc/xl2tpd/l2tp-secrets -p /run/xl2tpd.pid \
    -C /run/xl2tpd/l2tp-control >/srv/xl2tpd.log 2>&1 &
XPID=$!
wait_for 10 test -p /run/xl2tpd/l2tp-control || mark "no control pipe"
mark ready
touch /srv/ready
wait_for "${LNS_MAX:-90}" test -e /srv/stop || mark "LNS_MAX reached"
mark stop
kill "$XPID" 2>/dev/null
wait_for 8 gone "$XPID" || kill -9 "$XPID"
mark end
