/**
 * The raw Linux bindings, all through the JDK's FFM API: system calls and libc functions with errno captured,
 * constants citing the kernel headers they come from, {@link io.mcrelay.linux.sys.Errno}, io_uring's rings, Unix
 * sockets, descriptor passing and process calls. The only package that declares downcalls (an ArchUnit rule).
 */
package io.mcrelay.linux.sys;
