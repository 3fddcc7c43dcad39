#!/bin/sh
#! assess-corpus: expect=rm-rf-protected
rm -rf /var/lib
