// SPDX-License-Identifier: GPL-2.0
/*
 * libnvmf-host.so: the objects of nvmf_host, linked whole, exporting the
 * functions of <nvmf/host.h> only (libnvmf-host.map).  This unit includes
 * the installed header first and alone, so it must stay self-contained.
 */
#include <nvmf/host.h>
