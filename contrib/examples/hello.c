/* SPDX-License-Identifier: ISC */
/* The program the example Makefile builds and tests under a lease. */
#include <stdio.h>

int main(void)
{
	puts("hello, world");
	return 0;
}
