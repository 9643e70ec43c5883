/**
 * The worker's packet-I/O backends over the packet sockets' rings: io_uring (POLL_ADD readiness, SEND from
 * preallocated slots) and the epoll fallback (recvmmsg/sendmmsg), the backend choice, egress destinations and the
 * reading of their error queues, and {@link io.mcrelay.linux.packetio.WorkerIo}, a worker's I/O built from the
 * descriptors it was passed.
 */
package io.mcrelay.linux.packetio;
