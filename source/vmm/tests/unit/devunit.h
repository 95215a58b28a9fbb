/* @@ file 04 */
/*
 * devunit.h - what the lab 04 device models' unit tests share: a
 * deterministic random generator for the hostile loops (the models
 * themselves are in src/pci/, src/dev/ and src/cpu/bzimage.c).
 */
#ifndef DEVUNIT_H
#define DEVUNIT_H

#include <stdint.h>

#include "pci/pci.h"
#include "unit.h"

/* The host bridge the tests' buses have: the i440FX's, as QEMU's pc. */
static const struct pci_desc test_host_bridge = {
	.vendor = 0x8086, .device = 0x1237, .revision = 0x02,
	.class_code = 0x060000, .subsys_vendor = 0x1AF4, .subsys_id = 0x1100,
};

/* xorshift64, a fixed seed per caller: the same run every time. */
static inline uint32_t xrnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 16);
}

#endif
