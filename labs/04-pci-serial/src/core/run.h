/*
 * run.h - the vCPU's run loop and the VM exit handlers (book §1.2,
 * §1.5.6).
 */
#ifndef VMM_RUN_H
#define VMM_RUN_H

#include <stdint.h>
#include <stdio.h>

struct vcpu;

int vcpu_run(struct vcpu *vcpu);
int vcpu_handle_exit(struct vcpu *vcpu);
int vcpu_handle_io(struct vcpu *vcpu);
int vcpu_handle_mmio(struct vcpu *vcpu);
int vcpu_handle_msr(struct vcpu *vcpu);
int vcpu_unhandled_exit(struct vcpu *vcpu);
const char *exit_reason_name(unsigned int reason);
/* For the reports of a crashed VM (exercise 1.dispatch). */
void vcpu_report_internal(struct vcpu *vcpu, FILE *out);
const char *fail_entry_name(uint64_t reason);

#endif
