// SPDX-License-Identifier: GPL-2.0
/*
 * casvipctl: the record of changes. Every change this process makes to
 * the balancer goes to the system log (syslog(3): the journal, where
 * journald runs, adds the sender's credentials as trusted fields), once,
 * with who made it, so that "who drained CAS2 at 03:00" has an answer.
 */
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "cmd.h"

static const char *user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "%u", (unsigned int)uid);
	return buf;
}

/*
 * Who: the user, and the one who logged in (the kernel's audit login
 * uid, which su and sudo keep) if another, and the user sudo names (from
 * the environment: a claim, shown as such).
 */
static void who(char *buf, size_t len)
{
	char name[64], login[64];
	const char *sudo = getenv("SUDO_USER");
	unsigned int luid;
	uid_t uid = getuid();
	size_t n;
	FILE *f;

	n = snprintf(buf, len, "%s (uid %u", user_name(uid, name, sizeof(name)),
		     (unsigned int)uid);
	f = fopen("/proc/self/loginuid", "r");
	if (f) {
		/* (unsigned)-1: no login (a daemon, or a boot script). */
		if (fscanf(f, "%u", &luid) == 1 && luid != (unsigned int)-1 &&
		    luid != uid && n < len)
			n += snprintf(buf + n, len - n, ", login %s",
				      user_name(luid, login, sizeof(login)));
		fclose(f);
	}
	if (sudo && *sudo && n < len)
		n += snprintf(buf + n, len - n, ", SUDO_USER=%s", sudo);
	if (n < len)
		snprintf(buf + n, len - n, ")");
}

void cv_log_change(const char *fmt, ...)
{
	static char by[256];
	char what[1024];
	va_list ap;

	/* Once: an apply may log thousands of changes. */
	if (!by[0]) {
		openlog("casvipctl", LOG_PID, LOG_DAEMON);
		who(by, sizeof(by));
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	syslog(LOG_NOTICE, "%s by %s", what, by);
}

/*
 * The words of a command, quoted where the shell would need it, with no
 * byte that could end or fake a log line.
 */
void cv_log_command(int argc, char **argv)
{
	char *line = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&line, &len);

	if (!f)
		return;
	for (int i = 0; i < argc; i++) {
		const unsigned char *w = (const unsigned char *)argv[i];
		bool quote = !*w;

		for (; *w && !quote; w++)
			quote = *w <= ' ' || *w == 0x7f ||
				strchr("\"'\\$;&|<>", *w);
		if (i)
			fputc(' ', f);
		if (quote)
			cv_print_quoted(f, argv[i]);
		else
			fputs(argv[i], f);
	}
	fclose(f);
	cv_log_change("%s", line);
	free(line);
}
