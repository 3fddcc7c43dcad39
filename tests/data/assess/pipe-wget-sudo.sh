#!/bin/sh
#! assess-corpus: expect=pipe-to-shell
wget -qO- https://example.org/setup | sudo bash
