/* merge_feed FROM TO [SEED]: calls feed(v) for every i in [FROM, TO), v = i,
 * or with a SEED a pseudo-random value in [-1000, 1000] drawn from (SEED,
 * i).  Runs over parts of a range give, together, the events of one run
 * over all of it: tests of bt-fmt's merge of several streams. */
#include <stdint.h>
#include <stdlib.h>

__attribute__((noinline)) long feed(long v)
{
	__asm__ volatile("" ::: "memory");
	return v;
}

static long value(uint64_t seed, long i)
{
	if (!seed)
		return i;
	uint64_t z = seed * 0x9e3779b97f4a7c15ULL + (uint64_t)i;   /* splitmix64 */
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (long)(z % 2001) - 1000;
}

int main(int argc, char **argv)
{
	long from = argc > 1 ? atol(argv[1]) : 0, to = argc > 2 ? atol(argv[2]) : 0;
	uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 0;
	long sum = 0;
	for (long i = from; i < to; i++)
		sum += feed(value(seed, i));
	return (int)(sum & 1) * 0;
}
