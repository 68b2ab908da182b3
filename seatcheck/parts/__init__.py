"""One module per kind of container in the seat (squid, gnome, the apps), each a small class
that creates its container and waits until it is ready; ``topology.Seat`` is the thin facade
over them, and teardown removes what they made by label."""
