#!/bin/sh
#! assess-corpus: expect=none
export GITHUB_TOKEN="$GITHUB_TOKEN"
SECRET_FILE=/run/secrets/db
PASSWORD=changeme
