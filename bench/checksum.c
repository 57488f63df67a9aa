/*
 * C baseline for the info-block checksum (the algorithm of docs/format.md: lo/hi
 * sums mod 2^32 over 1024 little-endian words, the checksum words counting
 * as zero), compiled -O2 at bench time. Prints ns per 4 KiB block.
 *
 *   gcc -O2 -o /tmp/checksum bench/checksum.c && /tmp/checksum [ITERATIONS]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NBLOCKS 64

static uint64_t block_checksum(const unsigned char *b)
{
	uint32_t lo = 0, hi = 0;
	for (int i = 0; i < 1024; i++) {
		uint32_t w = 0;
		if (i < 1022)
			memcpy(&w, b + 4 * i, 4); /* little-endian host assumed (x86-64) */
		lo += w;
		hi += lo;
	}
	return (uint64_t)hi << 32 | lo;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 20000;
	static unsigned char blocks[NBLOCKS][4096];
	uint32_t x = 12345;
	for (int k = 0; k < NBLOCKS; k++)
		for (int i = 0; i < 4096; i++) {
			x = x * 1103515245u + 12345u;
			blocks[k][i] = (unsigned char)(x >> 16);
		}
	volatile uint64_t sink = 0;
	/* warm up */
	for (int k = 0; k < NBLOCKS; k++)
		sink ^= block_checksum(blocks[k]);
	double per_round[9];
	for (int round = 0; round < 9; round++) {
		double t0 = now_ns();
		for (long n = 0; n < iters; n++) {
			unsigned char *b = blocks[n % NBLOCKS];
			b[0] ^= (unsigned char)n; /* keep the compiler from hoisting the sum */
			sink ^= block_checksum(b);
		}
		per_round[round] = (now_ns() - t0) / iters;
	}
	for (int i = 1; i < 9; i++) /* insertion sort: median and best */
		for (int j = i; j > 0 && per_round[j] < per_round[j - 1]; j--) {
			double t = per_round[j];
			per_round[j] = per_round[j - 1];
			per_round[j - 1] = t;
		}
	printf("checksum (C -O2): %.0f ns/block median, %.0f best (9 rounds of %ld blocks)\n", per_round[4], per_round[0], iters);
	return sink == 42 ? 1 : 0;
}
