#!/bin/sh
#! assess-corpus: expect=chmod-setuid
install -m 755 helper /opt/x && chmod 4755 /opt/x/helper
