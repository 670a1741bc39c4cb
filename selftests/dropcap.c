// SPDX-License-Identifier: GPL-2.0
/*
 * dropcap: run a command as the unprivileged user nobody (uid/gid 65534),
 * with no capabilities.  usage: dropcap CMD [ARG...]
 */
#include <grp.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: dropcap CMD [ARG...]\n");
		return 2;
	}
	if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) {
		perror("dropcap");
		return 2;
	}
	execvp(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
