#!/bin/sh
#! assess-corpus: expect=write-protected
echo '127.0.0.1 evil' >> /etc/hosts
