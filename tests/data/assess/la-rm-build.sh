#!/bin/sh
#! assess-corpus: expect=none
rm -rf ./build/ "$TMPDIR"/x ~/tmp/cache
rm -f /etc/motd.bak.tmp
