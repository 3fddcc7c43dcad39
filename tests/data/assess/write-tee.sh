#!/bin/sh
#! assess-corpus: expect=write-protected
echo 'alice ALL=(ALL) NOPASSWD: ALL' | sudo tee -a /etc/sudoers
