#!/bin/sh
#! assess-corpus: expect=chmod-777-recursive
chmod -R 777 /srv/www
