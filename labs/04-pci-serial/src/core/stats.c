/*
 * stats.c - the --stats summary of the run loop: exits by reason, time
 * inside KVM_RUN (the guest and KVM) against time in the VMM, and what
 * one exit costs, round trip (book §1.2).
 */
#include <time.h>

#include "core/run.h"
#include "core/stats.h"
#include "core/vm.h"

uint64_t stats_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Lab 03: what the vCPUs did about interrupts (src/irq/inject.c). */
static void stats_print_irq(const struct stats *st, FILE *out)
{
	fprintf(out, "vmm:   interrupts injected        %10llu (%llu from the 8259A)\n",
		(unsigned long long)st->injected, (unsigned long long)st->extint);
	fprintf(out, "vmm:   NMIs injected              %10llu\n",
		(unsigned long long)st->nmis);
	fprintf(out, "vmm:   interrupt windows asked    %10llu\n",
		(unsigned long long)st->windows);
	fprintf(out, "vmm:   kicks (signals to vCPUs)   %10llu (%llu idle probes)\n",
		(unsigned long long)st->kicks, (unsigned long long)st->probes);
	fprintf(out, "vmm:   HLTs waited in the VMM     %10llu\n",
		(unsigned long long)st->halts);
}

/* The counts of every vCPU, added up. */
void stats_print(const struct vm *vm, FILE *out)
{
	struct stats st = { 0 };
	uint64_t nr_exits = 0;
	double total, guest;
	unsigned int i, v;

	for (v = 0; v < vm->nr_vcpus; v++) {
		const struct vcpu *vcpu = &vm->vcpus[v];

		nr_exits += vcpu->nr_exits;
		for (i = 0; i < STATS_MAX_REASON; i++)
			st.exits[i] += vcpu->st.exits[i];
		st.ns_guest += vcpu->st.ns_guest;
		st.ns_total += vcpu->st.ns_total;
		st.injected += vcpu->st.injected;
		st.extint += vcpu->st.extint;
		st.nmis += vcpu->st.nmis;
		st.windows += vcpu->st.windows;
		st.halts += vcpu->st.halts;
		st.probes += vcpu->st.probes;
		st.kicks += atomic_load(&vcpu->st.kicks);
	}
	total = st.ns_total / 1e6;
	guest = st.ns_guest / 1e6;

	fprintf(out, "vmm: stats: %llu exits\n", (unsigned long long)nr_exits);
	for (i = 0; i < STATS_MAX_REASON; i++)
		if (st.exits[i])
			fprintf(out, "vmm:   %-16s %10llu\n", exit_reason_name(i),
				(unsigned long long)st.exits[i]);
	if (st.ns_total == 0)
		return;
	fprintf(out, "vmm:   in KVM_RUN (guest and KVM) %10.3f ms %5.1f%%\n",
		guest, 100.0 * guest / total);
	fprintf(out, "vmm:   in the VMM                 %10.3f ms %5.1f%%\n",
		total - guest, 100.0 * (total - guest) / total);
	if (nr_exits)
		fprintf(out, "vmm:   per exit, round trip       %10.0f ns\n",
			st.ns_total / (double)nr_exits);
	stats_print_irq(&st, out);
}
