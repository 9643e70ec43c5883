/**
 * Packet sockets on the kernel: TPACKET_V3 receive rings, classic-BPF filters and the fanout program, the
 * supervisor's input sockets (a fanout group per input interface), and multicast memberships.
 */
package io.mcrelay.linux.packet;
