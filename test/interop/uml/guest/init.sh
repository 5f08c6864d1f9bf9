#!/bin/sh
# PID 1 of a user-mode-linux guest booted by test/interop/uml/harness.ts.
# The root is the host's / over hostfs, read-only; the only writable host place is the guest's
# own directory (kernel parameter umldir=…), mounted on /srv. Related: guest/lac.sh, harness.ts.
#
# Unknown key=value kernel parameters arrive here as environment variables:
#   umldir=<host dir>  umlmax=<watchdog seconds>  umlname=<hostname>
# Steps: mount the pseudo file systems and tmpfs on every place a daemon writes; mount /srv;
# make modprobe find the UML modules (the host has no /lib/modules and / is read-only);
# bind-mount /srv/bind/<path with / spelled %> over /<path> (private /etc/ppp, /etc/xl2tpd);
# arm a watchdog; run /srv/guest.sh; write its exit code to /srv/rc; power off (sysrq o).
PATH=/run/uml/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
mount -t proc proc /proc
read -r T_INIT _ </proc/uptime
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
for d in /dev/shm /tmp; do mount -t tmpfs -o mode=1777 tmpfs "$d"; done
for d in /run /var/log /var/lib; do mount -t tmpfs -o mode=755 tmpfs "$d"; done
mkdir -p /run/lock /run/uml/bin /run/xl2tpd
# The repository (guest scripts, bin/l2tp-ts.js) may live under a path the tmpfs mounts above just
# hid, e.g. a CI clone in /tmp (kernel parameter umlrepo=…): mount it back from the host.
if [ -n "${umlrepo:-}" ] && [ ! -e "$umlrepo/package.json" ]; then
    mkdir -p "$umlrepo" && mount -t hostfs -o "$umlrepo" hostfs "$umlrepo" ||
        echo "init: cannot mount umlrepo='$umlrepo'"
fi
if [ -z "${umldir:-}" ] || ! mount -t hostfs -o "$umldir" hostfs /srv; then
    echo "init: cannot mount umldir='${umldir:-}' on /srv"
    echo o >/proc/sysrq-trigger
    sleep 30
fi
echo "$T_INIT" >/srv/t_init
echo "init: ${umlname:-uml} at uptime ${T_INIT}s"

# The watchdog: whatever the scenario does, the guest powers itself off.
( sleep "${umlmax:-90}"; echo "init: watchdog after ${umlmax:-90}s"; echo timeout >/srv/watchdog
  sync; echo o >/proc/sysrq-trigger ) &

# modprobe: kmod looks for <-d dir>/lib/modules/$(uname -r); the UML tree is /usr/lib/uml/modules.
# kmod only behaves as modprobe when invoked under that name, hence a wrapper script, which the
# kernel also uses for its own request_module() calls (logged: each costs 0.2-1 s in UML).
REL=$(uname -r)
mkdir -p /run/uml/root/lib/modules
ln -s "/usr/lib/uml/modules/$REL" "/run/uml/root/lib/modules/$REL"
cat >/run/uml/bin/modprobe <<'WRAP'
#!/bin/sh
read -r U _ </proc/uptime
echo "$U modprobe $*" >>/srv/modprobe.log
exec /usr/sbin/modprobe -d /run/uml/root "$@"
WRAP
chmod 755 /run/uml/bin/modprobe
echo /run/uml/bin/modprobe >/proc/sys/kernel/modprobe

if [ -d /srv/bind ]; then
    for src in /srv/bind/*; do
        [ -e "$src" ] || continue
        dst=/$(basename "$src" | tr '%' '/')
        mount --bind "$src" "$dst" || echo "init: bind mount $src on $dst failed"
    done
fi
hostname "${umlname:-uml}"
ip link set lo up

if [ -f /srv/guest.sh ]; then
    /bin/sh /srv/guest.sh >/srv/guest.log 2>&1
    echo $? >/srv/rc.tmp
else
    echo 99 >/srv/rc.tmp
fi
mv /srv/rc.tmp /srv/rc
sync
echo o >/proc/sysrq-trigger
sleep 30
