#!/bin/sh
#! assess-corpus: expect=none
psql "postgres://app:${DB_PASSWORD}@db.internal/app"
