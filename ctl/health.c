// SPDX-License-Identifier: GPL-2.0
/*
 * casvipctl: check-server, the one-shot health check (exit 0 if healthy,
 * 1 if not: it suits keepalived's MISC_CHECK and shell scripts).
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cmd.h"
#include "json.h"

#define MAX_CHECKS 16
#define DEFAULT_TIMEOUT_MS 3000

/* Run @n checks against @addr at once, each within @timeout_ms. */
static void run_checks(const struct check *checks, struct check_run *runs,
		       size_t n, const struct cv_addr *addr, long timeout_ms)
{
	struct pollfd fds[MAX_CHECKS];
	long deadline = cv_now_ms() + timeout_ms;
	size_t left = 0;

	for (size_t i = 0; i < n; i++) {
		fds[i].fd = check_start(&runs[i], &checks[i], addr);
		left += fds[i].fd >= 0;
	}
	while (left) {
		long wait = deadline - cv_now_ms();

		for (size_t i = 0; i < n; i++)
			if (!runs[i].done)
				fds[i].events = check_events(&runs[i]);
			else
				fds[i].fd = -1;
		if (wait <= 0 || poll(fds, n, (int)wait) == 0) {
			for (size_t i = 0; i < n; i++)
				check_timeout(&runs[i]);
			break;
		}
		for (size_t i = 0; i < n; i++)
			if (fds[i].fd >= 0 && fds[i].revents &&
			    check_step(&runs[i]))
				left--;
	}
}

int cv_check_server(struct cv_nl *nl, int argc, char **argv)
{
	struct check checks[MAX_CHECKS];
	struct check_run runs[MAX_CHECKS];
	char err[CV_ERRLEN], text[128];
	long timeout_ms = DEFAULT_TIMEOUT_MS;
	struct cv_addr addr;
	struct jw w = { .f = stdout };
	size_t n = 0;
	bool ok = true;

	(void)nl;
	if (argc < 3)
		return cv_usage_error("help",
				      "check-server needs ADDR and a check, e.g. tcp 135%s",
				      "");
	if (cv_parse_addr(argv[0], &addr, err))
		return cv_usage_error("help", "%s", err);
	for (int i = 1; i < argc; i += 2) {
		uint32_t secs;
		int ret;

		if (i + 1 == argc && strcmp(argv[i], "verify"))
			return cv_usage_error("help", "\"%s\" needs a value",
					      argv[i]);
		ret = n ? check_option(argc - i, argv + i, &checks[n - 1], err) :
			  0;
		if (ret < 0)
			return cv_usage_error("help", "%s", err);
		if (ret) {
			i += ret - 2; /* the loop steps by two */
			continue;
		}
		if (!strcmp(argv[i], "timeout")) {
			if (cv_parse_u32(argv[i + 1], 3600, &secs, err) || !secs)
				return cv_usage_error("help",
						      "timeout \"%s\" is not 1 to 3600 seconds",
						      argv[i + 1]);
			timeout_ms = secs * 1000L;
			continue;
		}
		if (n == MAX_CHECKS)
			return cv_usage_error("help", "more than 16 checks%s", "");
		if (check_parse(argv[i], argv[i + 1], &checks[n], err))
			return cv_usage_error("help", "%s", err);
		n++;
	}
	if (!n)
		return cv_usage_error("help",
				      "check-server needs a check, e.g. tcp 135, not only a timeout%s",
				      "");
	/* OpenSSL writes to a socket the server may have reset. */
	signal(SIGPIPE, SIG_IGN);
	run_checks(checks, runs, n, &addr, timeout_ms);
	if (cv_opts.json)
		jw_begin(&w, NULL, '[');
	for (size_t i = 0; i < n; i++) {
		check_format(&checks[i], text, sizeof(text));
		ok &= runs[i].ok;
		if (cv_opts.json) {
			jw_begin(&w, NULL, '{');
			jw_str(&w, "check", text);
			jw_str(&w, "result", runs[i].ok ? "ok" : "fail");
			jw_str(&w, "reason", runs[i].why);
			jw_end(&w, '}');
		} else {
			printf("%s %s %s: %s\n", runs[i].ok ? "ok" : "fail",
			       argv[0], text, runs[i].why);
		}
	}
	if (cv_opts.json)
		jw_end(&w, ']');
	return ok ? CV_EXIT_OK : CV_EXIT_FAIL;
}
