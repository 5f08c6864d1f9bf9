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

# Libreswan from the private tree $LSW_ROOT (apt-get download + dpkg -x, see .ci/run): pluto with
# the private /srv/ipsec/ipsec.conf and ipsec.secrets (they include /etc/ipsec.d/*, the guest's
# private copy of what ipsec-config printed), an empty NSS database on tmpfs (PSK needs no
# certificate), and an `ipsec` in PATH because pluto runs its default updown as "ipsec _updown".
LSW_EXEC="${LSW_ROOT:-}/usr/libexec/ipsec"
LSW_LIB="${LSW_ROOT:-}/usr/lib/x86_64-linux-gnu"
LSW_CTL=/run/pluto/pluto.ctl
lsw() { LD_LIBRARY_PATH="$LSW_LIB" "$@"; }
whack() { lsw "$LSW_EXEC/whack" --ctlsocket "$LSW_CTL" "$@"; }
# pluto runs its addconn helper and _updown runs _updown.xfrm from the compiled-in /usr/libexec/ipsec,
# which the read-only host root lacks: a tmpfs /usr/libexec of links (the host's entries, kept
# reachable through a bind mount, plus ipsec → the private tree) goes over it in this guest only.
libexec_overlay() {
    mkdir -p /run/lsw/host-libexec /run/lsw/libexec
    mount --bind /usr/libexec /run/lsw/host-libexec || return 1
    for e in /run/lsw/host-libexec/*; do [ -e "$e" ] && ln -s "$e" "/run/lsw/libexec/${e##*/}"; done
    ln -s "$LSW_EXEC" /run/lsw/libexec/ipsec
    mount --bind /run/lsw/libexec /usr/libexec
}
pluto_start() {
    if ! libexec_overlay; then mark "cannot put ipsec into /usr/libexec"; res IPSEC_LOAD fail; return 1; fi
    cat >/run/uml/bin/ipsec <<WRAP
#!/bin/sh
export IPSEC_EXECDIR=$LSW_EXEC IPSEC_SBINDIR=$LSW_ROOT/usr/sbin IPSEC_CONF=/srv/ipsec/ipsec.conf LD_LIBRARY_PATH=$LSW_LIB
case "\$1" in _updown) shift; exec $LSW_EXEC/_updown.xfrm "\$@" ;; esac
exec $LSW_ROOT/usr/sbin/ipsec "\$@"
WRAP
    chmod 755 /run/uml/bin/ipsec
    mkdir -p /var/lib/ipsec/nss /run/pluto
    if ! lsw "$LSW_ROOT/usr/bin/certutil" -N -d sql:/var/lib/ipsec/nss --empty-password >/srv/certutil.txt 2>&1; then
        mark "certutil -N failed"; res IPSEC_LOAD fail; return 1
    fi
    lsw "$LSW_EXEC/pluto" --nofork --config /srv/ipsec/ipsec.conf --secretsfile /srv/ipsec/ipsec.secrets \
        --ipsecdir /etc/ipsec.d --nssdir /var/lib/ipsec/nss --rundir /run/pluto >/srv/pluto.stdout 2>&1 &
    PLUTO_PID=$!
    if ! wait_for 30 test -S "$LSW_CTL"; then mark "pluto: no control socket after 30 s"; res IPSEC_LOAD fail; return 1; fi
    # pluto's own addconn helper adds the auto=add conns at startup, silently; adding them again
    # (what `ipsec auto --add NAME` does) puts the verdict in ipsec-load.txt and in the exit code
    whack --listen >/srv/ipsec-load.txt 2>&1
    LSW_CONNS=$(lsw "$LSW_EXEC/addconn" --config /srv/ipsec/ipsec.conf --listadd 2>>/srv/ipsec-load.txt)
    # shellcheck disable=SC2086 # one word per conn name
    if [ -n "$LSW_CONNS" ] &&
        lsw "$LSW_EXEC/addconn" --config /srv/ipsec/ipsec.conf --ctlsocket "$LSW_CTL" $LSW_CONNS >>/srv/ipsec-load.txt 2>&1; then
        res IPSEC_LOAD ok
    else
        res IPSEC_LOAD fail; return 1
    fi
    whack --status >/srv/pluto-status.txt 2>&1
    mark "ipsec loaded (pluto pid $PLUTO_PID)"
}
pluto_stop() {
    [ -n "${PLUTO_PID:-}" ] || return 0
    whack --shutdown >/dev/null 2>&1 || kill "$PLUTO_PID" 2>/dev/null
    wait_for 5 gone "$PLUTO_PID" || kill -9 "$PLUTO_PID" 2>/dev/null
}

# The IKE daemon the host chose ($IKE: strongswan or libreswan).
ike_start() { if [ "${IKE:-strongswan}" = libreswan ]; then pluto_start; else charon_start; fi; }
ike_stop() { if [ "${IKE:-strongswan}" = libreswan ]; then pluto_stop; else charon_stop; fi; }
# ike_initiate CONN CHILD: bring up the SA (30 s bound), output in /srv/ipsec-initiate.txt
ike_initiate() {
    if [ "${IKE:-strongswan}" = libreswan ]; then
        timeout 40 sh -c "LD_LIBRARY_PATH='$LSW_LIB' '$LSW_EXEC/whack' --ctlsocket '$LSW_CTL' --name '$1' --initiate" \
            >/srv/ipsec-initiate.txt 2>&1
    else
        swanctl --initiate --child "$2" --timeout 30 >/srv/ipsec-initiate.txt 2>&1
    fi
}
# the established SAs as the daemon lists them, into /srv/ipsec-sas.txt
ike_list_sas() {
    if [ "${IKE:-strongswan}" = libreswan ]; then
        { whack --trafficstatus; whack --status; } >/srv/ipsec-sas.txt 2>&1
    else
        swanctl --list-sas >/srv/ipsec-sas.txt 2>/dev/null
    fi
}
