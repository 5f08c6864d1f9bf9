// The seed's configuration files, embedded: the OpenWrt wiki how-to "Libreswan L2TP/IPsec"
// (xl2tpd.conf, /etc/ppp/options.xl2tpd, chap-secrets), as published. DEFAULT_LNS_SETTINGS is
// these files resolved. Copies with provenance: test/vectors/config/ (a test keeps them equal).

/** The how-to's /etc/xl2tpd/xl2tpd.conf. */
export const SEED_XL2TPD_CONF = `# /etc/xl2tpd/xl2tpd.conf
 
[global]
port = 1701
auth file = /etc/xl2tpd/xl2tp-secrets
access control = no
 
[lns default]
exclusive = yes
ip range = 10.1.20.31-10.1.20.50
hidden bit = no
local ip = 10.1.20.30
length bit = yes
require chap = yes
refuse pap = yes
name = vpn
ppp debug = yes
pppoptfile = /etc/ppp/options.xl2tpd
`;

/** The how-to's /etc/ppp/options.xl2tpd. */
export const SEED_OPTIONS_XL2TPD = `lock
noauth
#debug
dump
logfd 2
#logfile /var/log/xl2tpd.log
mtu 1400
mru 1400
ms-dns 192.168.1.1
lcp-echo-failure 12
lcp-echo-interval 5
require-mschap-v2
nomppe
`;

/** The how-to's chap-secrets (its one example user). */
export const SEED_CHAP_SECRETS = `#USERNAME  PROVIDER  PASSWORD  IPADDRESS
username\tvpn\tsecret\t10.1.20.32
`;
