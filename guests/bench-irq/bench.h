/*
 * How many timer interrupts bench-irq takes (bench-irq-0 is built with 0:
 * its run is the set-up alone). labs/03-pic-apic/bench/irq.sh reads the
 * number from the #define line below: exits per interrupt =
 * (exits(bench-irq) - exits(bench-irq-0)) / BENCH_IRQ_N.
 */
#ifndef BENCH_IRQ_N
#define BENCH_IRQ_N 400
#endif
