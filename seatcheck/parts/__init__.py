"""The seat's parts: one module per kind of container (squid, gnome, the apps, the VPN's
containers, a snapshot) and per shared resource (the network, common_tmp, the devices, the
guard: watchdog and console). Each reaches the seat through ``context.SeatContext``;
``topology.Seat`` is the facade that starts each once, and teardown removes what they made
by label."""
