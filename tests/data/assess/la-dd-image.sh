#!/bin/sh
#! assess-corpus: expect=none
dd if=/dev/zero of=disk.img bs=1M count=10
mkfs.ext4 -F disk.img
