#!/bin/sh
#! assess-corpus: expect=none
echo x > /tmp/log
cat /etc/hosts > ./hosts.copy
ls /etc 2>/dev/null >&2
cp /etc/hosts ./
