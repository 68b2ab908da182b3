#!/bin/sh
# Write the allowed client subnets, make the cache dir on the (possibly new) volume, then run
# squid in the foreground.
set -e
: > /etc/squid/seat-clients.acl
for net in ${SEATCHECK_CLIENTS:-}; do echo "$net" >> /etc/squid/seat-clients.acl; done
if [ ! -s /etc/squid/seat-clients.acl ]; then
  echo "seatcheck-squid: SEATCHECK_CLIENTS is empty: only localhost may use the cache" >&2
fi
mkdir -p /var/log/squid
chown -R proxy:proxy /var/spool/squid /var/log/squid
squid -z -N -f /etc/squid/squid.conf
exec squid -N -d1 -f /etc/squid/squid.conf
