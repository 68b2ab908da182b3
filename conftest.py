# The fixtures that stand the seat up (squid, common_tmp, gnome, app containers).
pytest_plugins = ["fixtures.seat"]
