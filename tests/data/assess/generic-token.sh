#!/bin/sh
#! assess-corpus: expect=generic-secret
export API_TOKEN="pURkIhrTTupT4xVwALp2"
