#!/bin/sh
#! assess-corpus: expect=none
echo "never run rm -rf / on a server"
# rm -rf /
