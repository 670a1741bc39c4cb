/* SPDX-License-Identifier: GPL-2.0 */
/* casvipctl: the flowtable fast path. */
#ifndef CASVIPCTL_OFFLOAD_H
#define CASVIPCTL_OFFLOAD_H

#include <stdbool.h>

struct cv_nl;

/* 1 on, 0 off, -1 with the reason in @err. */
int cv_offload_is_on(char *err);
/* 0, or -1 with the reason in @err. */
int cv_offload_set(struct cv_nl *nl, bool on, char *err);
/* After the services changed: the table's sets follow, if offload is on. */
int cv_offload_follow(struct cv_nl *nl);
int cv_cmd_offload(struct cv_nl *nl, int argc, char **argv);

#endif
