# Sourced by /srv/guest.sh inside a UML guest (after /srv/env) for `fuzz --role lns` campaigns
# (test/interop/uml/fuzz-lns-role.test.ts): real xl2tpd as LAC plus pppd as the PPP client, which
# dials once for every /srv/dial.N the host creates (N = 1, 2, …), so each fuzz case gets a fresh
# call; PPP-level corruption from the fuzzer reaches pppd's LCP, CHAP and IPCP code. Ends when the
# host creates /srv/release. Markers: ready (the control pipe is open), xl2tpd-gone (xl2tpd died:
# the host reports a crash), done. Config as lac.sh's (harness.ts writeLacConfig).

mark() { read -r U _ </proc/uptime; echo "$U $*" >>/srv/timeline; }
mark start
MODS="ppp_generic ppp_async ppp_synctty ipv6"
modprobe -a $MODS || mark "modprobe failed"
ip addr add "$NET_ADDR" dev "$NET_DEV" && ip link set "$NET_DEV" up
xl2tpd -D -c /etc/xl2tpd/xl2tpd.conf -s /etc/xl2tpd/l2tp-secrets -p /run/xl2tpd.pid \
    -C /run/xl2tpd/l2tp-control >/srv/xl2tpd.log 2>&1 &
XPID=$!
N=0
while [ ! -p /run/xl2tpd/l2tp-control ] && [ $N -lt 50 ]; do sleep 0.2; N=$((N + 1)); done
touch /srv/ready
mark ready
N=1
while [ ! -e /srv/release ]; do
    if ! kill -0 "$XPID" 2>/dev/null; then touch /srv/xl2tpd-gone; mark "xl2tpd gone"; break; fi
    if [ -e "/srv/dial.$N" ]; then
        echo "c $SECTION" >/run/xl2tpd/l2tp-control
        mark "dial $N"
        N=$((N + 1))
    fi
    sleep 0.2
done
kill "$XPID" 2>/dev/null
mark end
touch /srv/done
