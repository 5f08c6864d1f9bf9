// dp-gen.c: load generator and sink for bench/dataplane-lns.ts (an LNS under test, RFC 2661 §3.1
// data messages). `up` floods L2TP data messages carrying PPP/IPv4/UDP to the LNS; `down` floods
// plain UDP to a client address routed into the LNS's TUN; `sink` binds a socket it never reads.
// Build (the bench does it): cc -O2 -o /tmp/l2tpts-dpgen dp-gen.c
//   dp-gen up SRC_IP LNS_IP LNS_PORT TID SID CLIENT_IP INNER_DST INNER_PORT SIZE SECS
//   dp-gen down DST_IP DST_PORT SIZE SECS
//   dp-gen sink IP PORT
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define B 64

static void die(const char *m) { perror(m); exit(1); }

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static uint32_t addr(const char *s) {
  struct in_addr a;
  if (inet_pton(AF_INET, s, &a) != 1) { fprintf(stderr, "bad address %s\n", s); exit(2); }
  return a.s_addr;
}

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

// IPv4 + UDP header (UDP checksum 0 = none, RFC 768) and `size` payload bytes at p; returns length.
static int ip_udp(uint8_t *p, uint32_t src, uint32_t dst, int dport, int size) {
  int len = 28 + size;
  memset(p, 0x78, len);
  uint8_t h[20] = {0x45, 0, len >> 8, len & 255, 0, 0, 0x40, 0, 64, 17, 0, 0};
  memcpy(h + 12, &src, 4);
  memcpy(h + 16, &dst, 4);
  uint32_t s = 0;
  for (int i = 0; i < 20; i += 2) s += (h[i] << 8) | h[i + 1];
  while (s > 0xffff) s = (s & 0xffff) + (s >> 16);
  h[10] = (~s >> 8) & 255;
  h[11] = ~s & 255;
  memcpy(p, h, 20);
  uint8_t u[8] = {4000 >> 8, 4000 & 255, dport >> 8, dport & 255, (8 + size) >> 8, (8 + size) & 255, 0, 0};
  memcpy(p + 20, u, 8);
  return len;
}

// sendmmsg of the same datagram in batches of B until SECS pass or SIGTERM; prints what it sent.
static void flood(int fd, struct sockaddr_in *to, uint8_t *buf, int len, double secs) {
  struct iovec iov = {buf, (size_t)len};
  struct mmsghdr m[B];
  memset(m, 0, sizeof m);
  for (int i = 0; i < B; i++) {
    m[i].msg_hdr.msg_iov = &iov;
    m[i].msg_hdr.msg_iovlen = 1;
    m[i].msg_hdr.msg_name = to;
    m[i].msg_hdr.msg_namelen = sizeof *to;
  }
  printf("go\n");
  fflush(stdout);
  double t0 = now(), end = t0 + secs, t = t0;
  unsigned long long sent = 0;
  while (!stop && t < end) {
    for (int k = 0; k < 16; k++) {
      int r = sendmmsg(fd, m, B, 0);
      if (r > 0) sent += r;
    }
    t = now();
  }
  printf("sent %llu pps %.0f\n", sent, sent / (t - t0));
}

static int udp_socket(void) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  // Skbs queued in a TUN ring stay charged to the sender: a big buffer keeps the generator from
  // blocking on a slow reader (docs/BENCHMARKS.md, Machine limits 2). SO_SNDBUFFORCE needs root.
  int sb = 16 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sb, sizeof sb);
  return fd;
}

int main(int argc, char **argv) {
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);
  static uint8_t buf[2048];
  if (argc == 12 && strcmp(argv[1], "up") == 0) {
    int fd = udp_socket();
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr.s_addr = addr(argv[2])};
    if (bind(fd, (void *)&me, sizeof me) < 0) die("bind");
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[4])), .sin_addr.s_addr = addr(argv[3])};
    int tid = atoi(argv[5]), sid = atoi(argv[6]), size = atoi(argv[10]);
    if (size < 0 || size > 1900) { fprintf(stderr, "size 0..1900\n"); return 2; }
    // RFC 2661 §3.1 data message without L/S/O bits, then PPP address/control + protocol 0x0021.
    uint8_t h[10] = {0x00, 0x02, tid >> 8, tid & 255, sid >> 8, sid & 255, 0xff, 0x03, 0x00, 0x21};
    memcpy(buf, h, 10);
    int len = 10 + ip_udp(buf + 10, addr(argv[7]), addr(argv[8]), atoi(argv[9]), size);
    flood(fd, &to, buf, len, atof(argv[11]));
    return 0;
  }
  if (argc == 6 && strcmp(argv[1], "down") == 0) {
    int fd = udp_socket();
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[3])), .sin_addr.s_addr = addr(argv[2])};
    int size = atoi(argv[4]);
    if (size < 0 || size > 1900) { fprintf(stderr, "size 0..1900\n"); return 2; }
    memset(buf, 0x79, size);
    flood(fd, &to, buf, size, atof(argv[5]));
    return 0;
  }
  if (argc == 4 && strcmp(argv[1], "sink") == 0) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[3])), .sin_addr.s_addr = addr(argv[2])};
    if (fd < 0 || bind(fd, (void *)&me, sizeof me) < 0) die("sink bind");
    printf("ready\n");
    fflush(stdout);
    while (!stop) pause();  // never reads: the kernel drops at the full socket queue
    return 0;
  }
  fprintf(stderr, "usage: see the header of dp-gen.c\n");
  return 2;
}
