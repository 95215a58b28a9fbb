/*
 * How many OUTs bench-io makes (bench-io-0 is built with 0). The benchmark
 * reads the number from the #define line below: ns per exit =
 * (T(bench-io) - T(bench-io-0)) / BENCH_IO_N.
 */
#ifndef BENCH_IO_N
#define BENCH_IO_N 200000
#endif
