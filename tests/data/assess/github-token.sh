#!/bin/sh
#! assess-corpus: expect=github-token
gh auth login --with-token <<< ghp_rFxkkeIqdtn62Pwidbf9NamTIz1jx4UVmg5Y
