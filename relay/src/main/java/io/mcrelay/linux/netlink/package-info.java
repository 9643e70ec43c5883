/** The link monitor on rtnetlink: link up/down, addresses, interfaces deleted and re-created. */
package io.mcrelay.linux.netlink;
