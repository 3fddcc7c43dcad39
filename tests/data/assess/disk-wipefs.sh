#!/bin/sh
#! assess-corpus: expect=disk-wipe
wipefs -a /dev/vdb
