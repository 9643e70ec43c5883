/**
 * {@code mcrelay demo}: a throw-away topology of network namespaces and veth pairs, the real daemon in it, traffic
 * from the traffic kit through two rules, a live view and a report, and everything removed afterwards. A composition
 * root like {@code daemon}: it starts the supervisor as a child process of the same jar and speaks to it only
 * through its control socket.
 */
package io.mcrelay.demo;
