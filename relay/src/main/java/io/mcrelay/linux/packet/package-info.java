/**
 * Packet I/O on the kernel: TPACKET_V3 receive rings, classic-BPF filters and fanout, the supervisor's input
 * sockets, multicast memberships and egress sockets, and the worker's packet-I/O backends (io_uring and epoll).
 */
package io.mcrelay.linux.packet;
