#!/bin/sh
#! assess-corpus: expect=none
chmod 777 /tmp/scratch
chmod -R 755 ./site
chmod u+x run.sh
chmod 0755 tool
