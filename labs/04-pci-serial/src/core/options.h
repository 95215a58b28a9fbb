/*
 * options.h - the VMM's command line.
 */
#ifndef VMM_OPTIONS_H
#define VMM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define MEM_DEFAULT		(32ULL << 20)
#define MEM_MIN			(1ULL << 20)
#define MEM_MAX			(64ULL << 30)	/* see memmap.h; also the host's RAM */

/* --irqchip: where the interrupt controllers are (src/irq/irqchip.h). */
enum irqchip_mode {
	IRQCHIP_USER,		/* all in the VMM */
	IRQCHIP_SPLIT,		/* local APICs in KVM, the rest in the VMM */
	IRQCHIP_KERNEL,		/* all in KVM */
};

struct options {
	bool trace;
	bool stats;
	uint64_t mem;
	bool demand;			/* --demand-above given */
	uint64_t demand_above;		/* GPA from which RAM is demand-populated */
	unsigned int cpus;		/* --cpus, 1 to VMM_MAX_CPUS */
	enum irqchip_mode irqchip;	/* --irqchip */
	const char *serial;		/* --serial, NULL: stdio */
	const char *kernel;		/* --kernel: boot Linux from this bzImage */
	const char *initrd;		/* --initrd */
	const char *append;		/* --append: Linux's command line */
	const char *guest;
	const char *kvm_dev;
};

int options_parse(struct options *opt, int argc, char **argv, FILE *err);
int parse_size(const char *s, uint64_t *out);
uint64_t options_host_mem(void);
uint64_t options_phys_mem(void);
const char *options_irqchip_name(enum irqchip_mode mode);

#endif
