# Sourced by gateway-lns.sh and gateway-client.sh inside a UML guest (after /srv/env): shared
# helpers for the L2TP/IPsec gateway scenario (RFC 3193: L2TP over ESP transport mode, udp/1701).
# Related: gateway.ts (writes /srv/env and the private config), gateway.test.ts.
#
# Every fork+exec costs ~0.1 s in UML: wait loops use shell builtins plus one `sleep` per round.

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
in_file() { [ -f "$1" ] && while read -r l; do case $l in *"$2"*) return 0;; esac; done <"$1"; return 1; }
secs_since() { echo "$2 - $1" | bc 2>/dev/null; }
# something listens on udp/PORT (hex in /proc/net/udp, e.g. 06A5 for 1701)
udp_listening() { while read -r _ l _; do case $l in *:"$1") return 0;; esac; done </proc/net/udp; return 1; }

# Kernel pieces for ESP transport mode (cbc(aes) + hmac(sha256/sha1); aes, sha1 and sha256 are
# built in) and the XFRM netlink API charon uses, plus cryptomgr and sha512/drbg/jitterentropy
# for the "stdrng" that SA setup asks for.
IPSEC_MODS="xfrm_user xfrm_algo esp4 authenc cbc hmac echainiv seqiv af_key cryptomgr sha512_generic drbg jitterentropy_rng"

# Installing one ESP SA makes the crypto API call request_module("crypto-…") ~16 times for names
# that are no modules (hmac(sha256), authenc(…), their -all forms); each call runs modprobe
# (0.2-1 s in UML). Once the real modules are loaded, answer those requests at once.
fast_crypto_modprobe() {
    cat >/run/uml/bin/modprobe-gw <<'WRAP'
#!/bin/sh
case "$*" in *crypto-*) exit 1 ;; esac
read -r U _ </proc/uptime
echo "$U modprobe $*" >>/srv/modprobe.log
exec /usr/sbin/modprobe -d /run/uml/root "$@"
WRAP
    chmod 755 /run/uml/bin/modprobe-gw
    echo /run/uml/bin/modprobe-gw >/proc/sys/kernel/modprobe
}

# charon from the host's installation (hostfs) with the private /srv/ipsec/strongswan.conf;
# swanctl reads the host's /etc/swanctl/swanctl.conf, whose conf.d is our private bind mount.
charon_start() {
    export STRONGSWAN_CONF=/srv/ipsec/strongswan.conf
    /usr/lib/ipsec/charon >/srv/charon.stdout 2>&1 &
    CHARON_PID=$!
    if ! wait_for 30 test -S /run/charon.vici; then mark "charon: no vici socket after 30 s"; return 1; fi
    if swanctl --load-all >/srv/swanctl-load.txt 2>&1; then res SWANCTL_LOAD ok; else res SWANCTL_LOAD fail; return 1; fi
    mark "ipsec loaded (charon pid $CHARON_PID)"
}

charon_stop() {
    [ -n "${CHARON_PID:-}" ] || return 0
    kill "$CHARON_PID" 2>/dev/null
    wait_for 5 gone "$CHARON_PID" || kill -9 "$CHARON_PID" 2>/dev/null
}
