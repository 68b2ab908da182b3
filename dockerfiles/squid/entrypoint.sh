#!/bin/sh
# Make the cache dir on the (possibly new) volume, then run squid in the foreground.
set -e
mkdir -p /var/log/squid
chown -R proxy:proxy /var/spool/squid /var/log/squid
squid -z -N -f /etc/squid/squid.conf
exec squid -N -d1 -f /etc/squid/squid.conf
