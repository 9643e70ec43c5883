/*
 * ring-relay: the floor the end-to-end benchmark measures mcrelay against. A minimal multicast relay in C: one
 * TPACKET_V3 receive ring on the input interface, read in place, and every matching UDP payload sent to each output
 * with sendmmsg(2), straight from the ring (no copy in userspace). One thread, one rule, no control plane.
 *
 *   usage: ring-relay IN_IF GROUP PORT OUT_IF DEST:PORT [DEST:PORT ...]
 *   e.g.   ring-relay r0 239.79.1.1 9000 r1 239.79.2.1:9000 239.79.2.2:9000
 *
 * Matches IPv4 UDP to GROUP:PORT arriving on IN_IF (first fragments and whole datagrams only); sends each payload to
 * every DEST:PORT out of OUT_IF, multicast TTL 1. The ring has mcrelay's default geometry (256 blocks of 128 KiB),
 * and a block is retired to us when full or after 2 ms. A block goes back to the kernel once every payload in it was
 * sent. SIGINT or SIGTERM: prints one line of counts and exits 0. Structures and constants: linux/if_packet.h.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#define BLOCK_BYTES (128u << 10)
#define BLOCKS 256u
#define RETIRE_MS 2u
#define OUTPUTS_MAX 16
#define BATCH_MAX 1024 /* messages per sendmmsg: packets of one block x outputs, flushed when full */

static volatile sig_atomic_t stopping;
static unsigned long long received, sent, send_errors;

static void on_signal(int sig) { (void)sig; stopping = 1; }

static void die(const char *what) { perror(what); exit(1); }

static struct mmsghdr batch[BATCH_MAX];
static struct iovec iovs[BATCH_MAX];
static unsigned batched;

/* Sends the batch; a blocking socket waits for send-buffer room, so only real errors give a message up. */
static void flush(int out) {
    unsigned done = 0;
    while (done < batched) {
        int n = sendmmsg(out, batch + done, batched - done, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            send_errors++; done++; /* this message is given up; the rest go on */
            continue;
        }
        sent += (unsigned)n;
        done += (unsigned)n;
    }
    batched = 0;
}

int main(int argc, char **argv) {
    if (argc < 6 || argc - 5 > OUTPUTS_MAX) {
        fprintf(stderr, "usage: ring-relay IN_IF GROUP PORT OUT_IF DEST:PORT [DEST:PORT ...] (at most %d)\n",
                OUTPUTS_MAX);
        return 2;
    }
    struct in_addr group;
    if (inet_pton(AF_INET, argv[2], &group) != 1) { fprintf(stderr, "bad group %s\n", argv[2]); return 2; }
    const uint16_t port = htons((uint16_t)atoi(argv[3]));
    const int outputs = argc - 5;
    struct sockaddr_in dests[OUTPUTS_MAX];
    for (int i = 0; i < outputs; i++) {
        char host[64];
        const char *colon = strrchr(argv[5 + i], ':');
        if (!colon || (size_t)(colon - argv[5 + i]) >= sizeof host) { fprintf(stderr, "bad %s\n", argv[5 + i]); return 2; }
        memcpy(host, argv[5 + i], (size_t)(colon - argv[5 + i]));
        host[colon - argv[5 + i]] = 0;
        memset(&dests[i], 0, sizeof dests[i]);
        dests[i].sin_family = AF_INET;
        dests[i].sin_port = htons((uint16_t)atoi(colon + 1));
        if (inet_pton(AF_INET, host, &dests[i].sin_addr) != 1) { fprintf(stderr, "bad %s\n", argv[5 + i]); return 2; }
    }

    /* The receive ring, bound to the input interface, IPv4 frames only. */
    int in = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
    if (in < 0) die("socket(AF_PACKET)");
    int version = TPACKET_V3;
    if (setsockopt(in, SOL_PACKET, PACKET_VERSION, &version, sizeof version)) die("PACKET_VERSION");
    struct tpacket_req3 req = {.tp_block_size = BLOCK_BYTES, .tp_block_nr = BLOCKS, .tp_frame_size = 2048,
                               .tp_frame_nr = BLOCK_BYTES / 2048 * BLOCKS, .tp_retire_blk_tov = RETIRE_MS};
    if (setsockopt(in, SOL_PACKET, PACKET_RX_RING, &req, sizeof req)) die("PACKET_RX_RING");
    uint8_t *ring = mmap(NULL, (size_t)BLOCK_BYTES * BLOCKS, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, in, 0);
    if (ring == MAP_FAILED) ring = mmap(NULL, (size_t)BLOCK_BYTES * BLOCKS, PROT_READ | PROT_WRITE, MAP_SHARED, in, 0);
    if (ring == MAP_FAILED) die("mmap of the ring");
    struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
                             .sll_ifindex = (int)if_nametoindex(argv[1])};
    if (!ll.sll_ifindex) die(argv[1]);
    if (bind(in, (struct sockaddr *)&ll, sizeof ll)) die("bind(AF_PACKET)");

    /* One UDP socket for every output, multicast out of OUT_IF. */
    int out = socket(AF_INET, SOCK_DGRAM, 0);
    if (out < 0) die("socket(AF_INET)");
    struct ip_mreqn mif = {.imr_ifindex = (int)if_nametoindex(argv[4])};
    if (!mif.imr_ifindex) die(argv[4]);
    if (setsockopt(out, IPPROTO_IP, IP_MULTICAST_IF, &mif, sizeof mif)) die("IP_MULTICAST_IF");
    int ttl = 1, off = 0, sndbuf = 4 << 20;
    setsockopt(out, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
    setsockopt(out, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof off);
    if (setsockopt(out, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf))
        setsockopt(out, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);

    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: poll returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    fprintf(stderr, "ring-relay: %s %s:%s -> %d output(s) on %s\n", argv[1], argv[2], argv[3], outputs, argv[4]);

    struct pollfd pfd = {.fd = in, .events = POLLIN | POLLERR};
    unsigned current = 0;
    while (!stopping) {
        struct tpacket_block_desc *block = (void *)(ring + (size_t)current * BLOCK_BYTES);
        if (!(__atomic_load_n(&block->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) {
            poll(&pfd, 1, 100);
            continue;
        }
        struct tpacket3_hdr *frame = (void *)((uint8_t *)block + block->hdr.bh1.offset_to_first_pkt);
        for (uint32_t i = 0; i < block->hdr.bh1.num_pkts; i++) {
            const struct iphdr *ip = (const void *)((uint8_t *)frame + frame->tp_net);
            const size_t caplen = frame->tp_snaplen - (frame->tp_net - frame->tp_mac);
            if (caplen >= sizeof *ip + sizeof(struct udphdr) && ip->version == 4 && ip->protocol == IPPROTO_UDP
                && ip->daddr == group.s_addr && !(ntohs(ip->frag_off) & 0x1fff)) {
                const struct udphdr *udp = (const void *)((const uint8_t *)ip + ip->ihl * 4u);
                const size_t udp_len = ntohs(udp->len);
                if (udp->dest == port && udp_len >= sizeof *udp && ip->ihl * 4u + udp_len <= caplen) {
                    received++;
                    for (int k = 0; k < outputs; k++) {
                        if (batched == BATCH_MAX) flush(out);
                        iovs[batched] = (struct iovec){(void *)(udp + 1), udp_len - sizeof *udp};
                        batch[batched].msg_hdr = (struct msghdr){.msg_name = &dests[k], .msg_namelen = sizeof dests[k],
                                                                 .msg_iov = &iovs[batched], .msg_iovlen = 1};
                        batched++;
                    }
                }
            }
            frame = (void *)((uint8_t *)frame + frame->tp_next_offset);
        }
        flush(out); /* every payload of the block is sent: the block may go back */
        __atomic_store_n(&block->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
        current = (current + 1) % BLOCKS;
    }
    struct tpacket_stats_v3 stats;
    socklen_t len = sizeof stats;
    memset(&stats, 0, sizeof stats);
    getsockopt(in, SOL_PACKET, PACKET_STATISTICS, &stats, &len);
    printf("ring-relay: received %llu, sent %llu, send_errors %llu, ring_drops %u\n", received, sent, send_errors,
           stats.tp_drops);
    return 0;
}
