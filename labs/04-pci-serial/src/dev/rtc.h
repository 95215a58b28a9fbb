/*
 * rtc.h - the Motorola MC146818A real-time clock and CMOS RAM at ports
 * 0x70 (index, bit 7 = NMI disable) and 0x71 (data), IRQ 8 (book §4.1,
 * the PC's platform devices; MC146818A datasheet: "Address Map", "Time,
 * Calendar and Alarm Locations", "Control Registers" A-D, "Update Cycle",
 * "Interrupts").
 *
 * Time: the clock is a count of seconds (start_time, Unix time, given at
 * init: the VMM passes the host's time) advanced by the owner's
 * now_ns(). With divider DV = 010 (32.768 kHz) it runs: each second ends
 * in an update that rewrites registers 0x00-0x09 and the century byte
 * 0x32 in the current format (DM binary/BCD, 24/12 hour). UIP reads 1 for
 * the 244 us before each update. SET stops updates (and clears UIE); on
 * clearing SET the registers as written become the time and the seconds
 * keep their phase. Divider reset (DV = 11x) holds the chain; back to 010
 * the first update comes 500 ms later. Periodic interrupts follow RS3-0
 * from the same chain.
 *
 * Not modelled: daylight saving (DSE is stored, never applied), SQWE's
 * output pin, other time bases (DV = 000/001/011/10x: the clock stops,
 * warned once), the chip's counting of out-of-range values (a time
 * written out of range is clamped into range when it is taken, warned
 * once), a day-of-week written by the guest (recomputed from the date at
 * the next update).
 *
 * CMOS RAM 0x0E-0x7F is plain storage (0x32 is the century). The owner
 * may fill the PC's memory-size bytes with rtc_cmos_set_memory().
 *
 * Locking: struct rtc has one mutex, taken by every public function.
 * irq, now_ns, deadline and warn are called WITH it held: irq goes on to
 * the GSI router (ISA IRQ 8), deadline only records and kicks.
 */
#ifndef VMM_RTC_H
#define VMM_RTC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "irq/irqwarn.h"

#define RTC_PORT_INDEX	0x70
#define RTC_PORT_DATA	0x71
#define RTC_NMI_DISABLE	0x80

#define RTC_SECONDS	0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES	0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS	0x04
#define RTC_HOURS_ALARM	0x05
#define RTC_DAY_OF_WEEK	0x06
#define RTC_DAY_OF_MONTH 0x07
#define RTC_MONTH	0x08
#define RTC_YEAR	0x09
#define RTC_REG_A	0x0A
#define RTC_REG_B	0x0B
#define RTC_REG_C	0x0C
#define RTC_REG_D	0x0D
#define RTC_CENTURY	0x32

#define RTC_A_UIP	0x80
#define RTC_A_DV_MASK	0x70
#define RTC_A_DV_32K	0x20
#define RTC_A_RS_MASK	0x0F
#define RTC_B_SET	0x80
#define RTC_B_PIE	0x40
#define RTC_B_AIE	0x20
#define RTC_B_UIE	0x10
#define RTC_B_SQWE	0x08
#define RTC_B_DM_BINARY	0x04
#define RTC_B_24H	0x02
#define RTC_B_DSE	0x01
#define RTC_C_IRQF	0x80
#define RTC_C_PF	0x40
#define RTC_C_AF	0x20
#define RTC_C_UF	0x10
#define RTC_D_VRT	0x80

#define RTC_UIP_NS	244000ull	/* UIP before the update */

struct rtc_ops {
	void (*irq)(void *opaque, int level);	/* IRQF, 1 = asserted */
	uint64_t (*now_ns)(void *opaque);
	/* Call rtc_service() at or after `ns` (early or late is harmless). */
	void (*deadline)(void *opaque, uint64_t ns);
	irqwarn_fn *warn;
};

struct rtc {
	pthread_mutex_t lock;
	uint8_t cmos[128];
	uint8_t index;
	bool nmi_disabled;
	int64_t base_sec;	/* the time at base_ns */
	uint64_t base_ns;	/* a second boundary of the chain */
	uint64_t k_done;	/* updates done since base_ns */
	uint64_t per_origin;	/* periodic chain origin */
	uint64_t per_done;	/* periodic ticks seen since per_origin */
	bool running;		/* DV = 010 and not SET */
	int irq_level;
	struct rtc_ops ops;
	void *opaque;
	uint32_t warned;
};

/* Registers A = 0x26 (32.768 kHz, 1024 Hz), B = 0x02 (24 h, BCD), D =
 * VRT; the clock set to `start_time` (seconds since 1970-01-01 UTC). */
void rtc_init(struct rtc *r, const struct rtc_ops *ops, void *opaque,
	      int64_t start_time);
void rtc_destroy(struct rtc *r);

/* Ports 0x70 and 0x71, byte accesses (0x70 reads as 0xFF). */
uint8_t rtc_io_read(struct rtc *r, uint16_t port);
void rtc_io_write(struct rtc *r, uint16_t port, uint8_t val);

/* The deadline passed: updates, alarms, periodic ticks. */
void rtc_service(struct rtc *r);

/* The time the clock holds now, in seconds since 1970 (for tests and
 * for the owner's log). */
int64_t rtc_time(struct rtc *r);
/* The periodic interrupt's period for rate select `rs` (0: none). */
uint64_t rtc_period_ns(unsigned int rs);

/* Owner's access to CMOS RAM (0x0E-0x7F), no side effects. */
void rtc_cmos_set(struct rtc *r, unsigned int idx, uint8_t val);
uint8_t rtc_cmos_get(struct rtc *r, unsigned int idx);
/*
 * The PC's memory-size bytes as SeaBIOS reads them on QEMU: 0x15/0x16
 * base memory in KiB (640); 0x17/0x18 and 0x30/0x31 KiB above 1 MiB
 * (at most 0xFFFF); 0x34/0x35 64 KiB blocks above 16 MiB below 4 GiB
 * (at most 0xFFFF); 0x5B-0x5D 64 KiB blocks above 4 GiB.
 */
void rtc_cmos_set_memory(struct rtc *r, uint64_t below_4g,
			 uint64_t above_4g);

/*
 * The clock in the machine: ports 0x70-0x71, ISA IRQ 8, the host's UTC
 * at start (guests/README.md, "The RTC"), its deadlines on the irqchip's
 * timer thread.
 */
struct vm;

struct rtc_dev {
	struct rtc rtc;
	struct vm *vm;
	int timer;
};

int rtc_dev_init(struct vm *vm, void **state);
void rtc_dev_exit(void *state, struct vm *vm);

#endif
