/*
 * kvm.h - the KVM API's three levels: system, VM and vCPU (book §1.5).
 */
#ifndef VMM_KVM_H
#define VMM_KVM_H

#include <stdint.h>

#include "loader.h"
#include "vm.h"

#define KVM_DEV_DEFAULT		"/dev/kvm"

int kvm_open(struct vm *vm, const char *path);
int vm_alloc_ram(struct vm *vm, uint64_t size);
int vm_create(struct vm *vm);
int vcpu_create(struct vm *vm);
int vcpu_setup(struct vcpu *vcpu, const struct boot_info *bi);
void vm_destroy(struct vm *vm);

#endif
