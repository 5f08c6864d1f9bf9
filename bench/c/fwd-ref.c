// fwd-ref.c: the C reference target of bench/dataplane.ts (same topology and work, no JS).
// Up: recvmmsg(64) -> check L2TP data header + PPP ff03 0021 -> write(tun, packet).
// Down: read(tun) x64 into slots with 10 bytes of headroom -> prepend L2TP+PPP -> sendmmsg.
// Build (the bench does it): gcc -O2 -o /tmp/l2tpts-fwd-ref fwd-ref.c
// Run: fwd-ref BIND_IP PORT PEER_IP PEER_PORT TUN_ADDR/PREFIX CLIENT_NET TID SID PEER_TID PEER_SID
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define B 64
#define SLOT 2048
#define HDR 10

static void die(const char *m) { perror(m); exit(1); }

int main(int argc, char **argv) {
  if (argc < 11) { fprintf(stderr, "usage: see source\n"); return 2; }
  int tid = atoi(argv[7]), sid = atoi(argv[8]), ptid = atoi(argv[9]), psid = atoi(argv[10]);
  int tfd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
  if (tfd < 0) die("open tun");
  struct ifreq ifr = {0};
  strcpy(ifr.ifr_name, "l2tpref%d");
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  if (ioctl(tfd, TUNSETIFF, &ifr) < 0) die("TUNSETIFF");
  char cmd[256];
  snprintf(cmd, sizeof cmd, "ip addr add %s dev %s && ip link set dev %s up && ip route add %s dev %s",
           argv[5], ifr.ifr_name, ifr.ifr_name, argv[6], ifr.ifr_name);
  if (system(cmd) != 0) die("ip setup");
  int ufd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  int rb = 4 << 20;
  setsockopt(ufd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof rb);
  struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
  inet_pton(AF_INET, argv[1], &me.sin_addr);
  if (bind(ufd, (void *)&me, sizeof me) < 0) die("bind");
  struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[4]))};
  inet_pton(AF_INET, argv[3], &peer.sin_addr);
  static uint8_t rx[B][SLOT], tx[B][SLOT];
  static struct mmsghdr rm[B], tm[B];
  static struct iovec riov[B], tiov[B];
  for (int i = 0; i < B; i++) {
    riov[i] = (struct iovec){rx[i], SLOT};
    rm[i].msg_hdr.msg_iov = &riov[i]; rm[i].msg_hdr.msg_iovlen = 1;
    tiov[i].iov_base = tx[i];
    tm[i].msg_hdr.msg_iov = &tiov[i]; tm[i].msg_hdr.msg_iovlen = 1;
    tm[i].msg_hdr.msg_name = &peer; tm[i].msg_hdr.msg_namelen = sizeof peer;
    uint8_t h[HDR] = {0x00, 0x02, ptid >> 8, ptid & 255, psid >> 8, psid & 255, 0xff, 0x03, 0x00, 0x21};
    memcpy(tx[i], h, HDR);
  }
  int ep = epoll_create1(0);
  struct epoll_event e1 = {.events = EPOLLIN, .data.fd = ufd}, e2 = {.events = EPOLLIN, .data.fd = tfd};
  epoll_ctl(ep, EPOLL_CTL_ADD, ufd, &e1);
  epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &e2);
  printf("ready\n");
  fflush(stdout);
  struct epoll_event evs[2];
  for (;;) {
    int n = epoll_wait(ep, evs, 2, -1);
    for (int k = 0; k < n; k++) {
      if (evs[k].data.fd == ufd) {
        int m = recvmmsg(ufd, rm, B, MSG_DONTWAIT, NULL);
        for (int i = 0; i < m; i++) {
          uint8_t *p = rx[i];
          unsigned len = rm[i].msg_len;
          if (len <= HDR || (p[0] & 0x80) || (p[1] & 0x0f) != 2) continue;
          if (((p[2] << 8) | p[3]) != tid || ((p[4] << 8) | p[5]) < sid) continue;
          if (p[6] != 0xff || p[7] != 0x03 || p[8] != 0x00 || p[9] != 0x21) continue;
          (void)!write(tfd, p + HDR, len - HDR);
        }
      } else {
        int c = 0;
        for (; c < B; c++) {
          ssize_t r = read(tfd, tx[c] + HDR, SLOT - HDR);
          if (r < 0) break;
          tiov[c].iov_len = r + HDR;
        }
        if (c) sendmmsg(ufd, tm, c, 0);
      }
    }
  }
}
