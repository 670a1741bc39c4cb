// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of casvipctl's parsers: what an admin types becomes the right
 * model, and every mistake gets a message that names it.
 */
#include <arpa/inet.h>
#include <string.h>

#include "kselftest_harness.h"

#include "cmd.h"

static int ports(const char *s, struct cv_service *svc, char *err)
{
	memset(svc, 0, sizeof(*svc));
	return cv_parse_ports(s, svc, err);
}

TEST(ports_exchange)
{
	struct cv_service svc;
	char err[CV_ERRLEN], buf[CV_PORTS_STRLEN];

	ASSERT_EQ(0, ports("135,60001-60002", &svc, err));
	ASSERT_EQ(2, svc.nranges);
	EXPECT_EQ(135, svc.ranges[0].first);
	EXPECT_EQ(135, svc.ranges[0].last);
	EXPECT_EQ(60001, svc.ranges[1].first);
	EXPECT_EQ(60002, svc.ranges[1].last);
	cv_format_ports(&svc, buf, sizeof(buf));
	EXPECT_STREQ("135,60001-60002", buf);
}

TEST(ports_sorted_and_merged)
{
	struct cv_service svc;
	char err[CV_ERRLEN], buf[CV_PORTS_STRLEN];

	ASSERT_EQ(0, ports("60002,135,60001,1-100,101", &svc, err));
	cv_format_ports(&svc, buf, sizeof(buf));
	EXPECT_STREQ("1-101,135,60001-60002", buf);
}

TEST(ports_bounds)
{
	struct cv_service svc;
	char err[CV_ERRLEN], buf[CV_PORTS_STRLEN];

	ASSERT_EQ(0, ports("1-65535", &svc, err));
	cv_format_ports(&svc, buf, sizeof(buf));
	EXPECT_STREQ("1-65535", buf);
	EXPECT_EQ(-1, ports("0", &svc, err));
	EXPECT_STREQ("port 0 is out of the range 1-65535", err);
	EXPECT_EQ(-1, ports("65536", &svc, err));
	EXPECT_STREQ("port 65536 is out of the range 1-65535", err);
	EXPECT_EQ(-1, ports("99999999999999999999", &svc, err));
	EXPECT_STREQ("\"99999999999999999999\" is not a port number", err);
}

TEST(ports_mistakes)
{
	struct cv_service svc;
	char err[CV_ERRLEN];

	EXPECT_EQ(-1, ports("", &svc, err));
	EXPECT_STREQ("\"\" is not a port number", err);
	EXPECT_EQ(-1, ports("135,", &svc, err));
	EXPECT_STREQ("\"\" is not a port number", err);
	EXPECT_EQ(-1, ports("-5", &svc, err));
	EXPECT_EQ(-1, ports("5-", &svc, err));
	EXPECT_EQ(-1, ports("1-2-3", &svc, err));
	EXPECT_EQ(-1, ports("+5", &svc, err));
	EXPECT_EQ(-1, ports("10-5", &svc, err));
	EXPECT_STREQ("port range 10-5 runs backwards", err);
	EXPECT_EQ(-1, ports("135,135", &svc, err));
	EXPECT_STREQ("port 135 is listed twice in \"135,135\"", err);
	EXPECT_EQ(-1, ports("100-200,150-160", &svc, err));
	EXPECT_STREQ("port 150 is listed twice in \"100-200,150-160\"", err);
}

TEST(ports_limit)
{
	struct cv_service svc;
	char err[CV_ERRLEN], s[1024] = "";

	for (int i = 1; i <= 64; i++)
		sprintf(s + strlen(s), "%s%d", i > 1 ? "," : "", i * 10);
	ASSERT_EQ(0, ports(s, &svc, err));
	EXPECT_EQ(64, svc.nranges);
	strcat(s, ",1000");
	EXPECT_EQ(-1, ports(s, &svc, err));
	EXPECT_NE(NULL, strstr(err, "has more than 64 ranges"));
}

TEST(addresses)
{
	struct cv_addr a;
	char err[CV_ERRLEN], buf[64];

	ASSERT_EQ(0, cv_parse_addr("10.0.0.100", &a, err));
	EXPECT_EQ(AF_INET, a.family);
	EXPECT_EQ(htonl(0x0a000064), a.v4.s_addr);
	ASSERT_EQ(0, cv_parse_addr("2001:db8::1", &a, err));
	EXPECT_EQ(AF_INET6, a.family);
	EXPECT_STREQ("2001:db8::1", cv_format_addr(&a, buf, sizeof(buf)));
	EXPECT_EQ(-1, cv_parse_addr("10.0.0", &a, err));
	EXPECT_STREQ("\"10.0.0\" is not an IPv4 or IPv6 address", err);
	EXPECT_EQ(-1, cv_parse_addr("cas1.example.com", &a, err));
}

TEST(names)
{
	char name[CASVIP_NAME_MAX], err[CV_ERRLEN];

	EXPECT_EQ(0, cv_parse_name("outlook-2.rpc_ab", name, err));
	EXPECT_STREQ("outlook-2.rpc_ab", name);
	EXPECT_EQ(0, cv_parse_name("abcdefghijklmnopqrstuvwxyz01234", name, err));
	EXPECT_EQ(-1, cv_parse_name("abcdefghijklmnopqrstuvwxyz012345", name, err));
	EXPECT_NE(NULL, strstr(err, "longer than 31"));
	EXPECT_EQ(-1, cv_parse_name("-x", name, err));
	EXPECT_NE(NULL, strstr(err, "must start with a letter or digit"));
	EXPECT_EQ(-1, cv_parse_name("a b", name, err));
	EXPECT_EQ(-1, cv_parse_name("", name, err));
}

TEST(service_keywords)
{
	char *argv[] = { "vip", "10.0.0.100", "proto", "udp", "ports", "135",
			 "sched", "wlc", "persist", "0", "netmask", "/24",
			 "snat", "masquerade" };
	/* What the service had before: each keyword must replace it. */
	struct cv_service svc = { .proto = IPPROTO_TCP,
				  .sched = CASVIP_SCHED_MH,
				  .timeout = 3600,
				  .netmask = 32,
				  .snat = CASVIP_SNAT_OFF };
	char err[CV_ERRLEN];

	ASSERT_EQ(0, cv_parse_service_args(14, argv, &svc, err));
	EXPECT_EQ(CV_VIP | CV_PROTO | CV_PORTS | CV_SCHED | CV_PERSIST |
			  CV_NETMASK | CV_SNAT,
		  svc.given);
	EXPECT_EQ(IPPROTO_UDP, svc.proto);
	EXPECT_EQ(CASVIP_SCHED_WLC, svc.sched);
	EXPECT_EQ(0, svc.timeout);
	EXPECT_EQ(24, svc.netmask);
	EXPECT_EQ(CASVIP_SNAT_MASQUERADE, svc.snat);
}

TEST(service_keyword_mistakes)
{
	struct cv_service svc = { 0 };
	char err[CV_ERRLEN];
	char *odd[] = { "vip" };
	char *unknown[] = { "colour", "blue" };
	char *typo[] = { "alldwn", "open" };
	char *mask[] = { "vip", "10.0.0.1", "netmask", "33" };
	char *mask6[] = { "vip", "::1", "netmask", "129" };
	char *snat[] = { "vip", "10.0.0.1", "snat", "::1" };
	char *persist[] = { "persist", "-1" };

	EXPECT_EQ(-1, cv_parse_service_args(1, odd, &svc, err));
	EXPECT_STREQ("\"vip\" needs a value", err);
	EXPECT_EQ(-1, cv_parse_service_args(2, unknown, &svc, err));
	EXPECT_STREQ("unknown keyword \"colour\"", err);
	EXPECT_EQ(-1, cv_parse_service_args(2, typo, &svc, err));
	EXPECT_STREQ("unknown keyword \"alldwn\": did you mean \"alldown\"?", err);
	EXPECT_EQ(-1, cv_parse_service_args(4, mask, &svc, err));
	EXPECT_STREQ("netmask /33 is longer than an IPv4 address", err);
	memset(&svc, 0, sizeof(svc));
	EXPECT_EQ(-1, cv_parse_service_args(4, mask6, &svc, err));
	EXPECT_STREQ("netmask \"129\" is not a prefix length from 0 to 128", err);
	memset(&svc, 0, sizeof(svc));
	EXPECT_EQ(-1, cv_parse_service_args(4, snat, &svc, err));
	EXPECT_STREQ("snat address and VIP are of different families", err);
	EXPECT_EQ(-1, cv_parse_service_args(2, persist, &svc, err));
	EXPECT_STREQ("\"-1\" is not a number", err);
}

TEST(server_keywords)
{
	char *argv[] = { "weight", "0", "drain", "health", "down" };
	char *noval[] = { "weight" };
	/* What the server had before: each keyword must replace it. */
	struct cv_server srv = { .weight = 100,
				 .admin = CASVIP_ADMIN_ENABLED,
				 .health = CASVIP_HEALTH_UP };
	char err[CV_ERRLEN];

	strcpy(srv.reason, "healthd's");
	ASSERT_EQ(0, cv_parse_server_args(5, argv, &srv, true, err));
	/* Health set by hand clears the checker's reason. */
	EXPECT_EQ(CV_WEIGHT | CV_ADMIN | CV_HEALTH | CV_REASON, srv.given);
	EXPECT_STREQ("", srv.reason);
	EXPECT_EQ(0, srv.weight);
	EXPECT_EQ(CASVIP_ADMIN_DRAINING, srv.admin);
	EXPECT_EQ(CASVIP_HEALTH_DOWN, srv.health);
	EXPECT_EQ(-1, cv_parse_server_args(1, noval, &srv, true, err));
	EXPECT_STREQ("\"weight\" needs a value", err);
}

/* Each admin state in the words of set and in those of show. */
TEST(server_admin_words)
{
	struct {
		char *word;
		uint8_t admin;
	} words[] = {
		{ "enable", CASVIP_ADMIN_ENABLED },
		{ "enabled", CASVIP_ADMIN_ENABLED },
		{ "drain", CASVIP_ADMIN_DRAINING },
		{ "draining", CASVIP_ADMIN_DRAINING },
		{ "disable", CASVIP_ADMIN_DISABLED },
		{ "disabled", CASVIP_ADMIN_DISABLED },
	};
	char *typo[] = { "draning" }, *reason[] = { "reason", "x" };
	char err[CV_ERRLEN];

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		struct cv_server srv = { .admin = 99 };

		ASSERT_EQ(0, cv_parse_server_args(1, &words[i].word, &srv,
						  true, err));
		EXPECT_EQ(words[i].admin, srv.admin);
	}
	EXPECT_EQ(-1, cv_parse_server_args(1, typo, &(struct cv_server){ 0 },
					   true, err));
	EXPECT_STREQ("unknown keyword \"draning\": did you mean \"draining\"?",
		     err);
	EXPECT_EQ(-1, cv_parse_server_args(2, reason,
					   &(struct cv_server){ 0 }, false,
					   err));
	EXPECT_STREQ("\"reason\" is for server set, not server add", err);
}

static int follow(const char *s, struct cv_service *svc, char *err)
{
	memset(svc, 0, sizeof(*svc));
	return cv_parse_follow(s, svc, err);
}

TEST(follow_interfaces)
{
	struct cv_service svc;
	char err[CV_ERRLEN], buf[CV_FOLLOW_STRLEN];

	ASSERT_EQ(0, follow("exchange", &svc, err));
	EXPECT_EQ(4, svc.nfollow);
	EXPECT_TRUE(svc.given & CV_FOLLOW);
	cv_format_follow(&svc, buf, sizeof(buf));
	EXPECT_STREQ("exchange", buf);
	ASSERT_EQ(0, follow("emsmdb,nspi", &svc, err));
	ASSERT_EQ(2, svc.nfollow);
	/* EMSMDB a4f1db00-..., 0.81, in wire order */
	EXPECT_EQ(0x00, svc.follow[0].uuid[0]);
	EXPECT_EQ(0xa4, svc.follow[0].uuid[3]);
	EXPECT_EQ(81, svc.follow[0].minor);
	EXPECT_EQ(56, svc.follow[1].major);
	cv_format_follow(&svc, buf, sizeof(buf));
	EXPECT_STREQ("emsmdb,nspi", buf);
	ASSERT_EQ(0, follow("12345678-1234-abcd-ef00-0123456789ab:1.0,rfr",
			    &svc, err));
	cv_format_follow(&svc, buf, sizeof(buf));
	EXPECT_STREQ("12345678-1234-abcd-ef00-0123456789ab:1.0,rfr", buf);
	ASSERT_EQ(0, follow("none", &svc, err));
	EXPECT_EQ(0, svc.nfollow);
	EXPECT_TRUE(svc.given & CV_FOLLOW);
	cv_format_follow(&svc, buf, sizeof(buf));
	EXPECT_STREQ("none", buf);
}

TEST(follow_mistakes)
{
	struct cv_service svc;
	char err[CV_ERRLEN];

	EXPECT_EQ(-1, follow("outlook", &svc, err));
	EXPECT_NE(NULL, strstr(err, "\"outlook\" is not exchange, none"));
	EXPECT_EQ(-1, follow("emsmdb,,nspi", &svc, err));
	EXPECT_NE(NULL, strstr(err, "empty interface name"));
	EXPECT_EQ(-1, follow("emsmdb,", &svc, err));
	EXPECT_NE(NULL, strstr(err, "empty interface name"));
	EXPECT_EQ(-1, follow("nspi,nspi", &svc, err));
	EXPECT_NE(NULL, strstr(err, "names nspi twice"));
	EXPECT_EQ(-1, follow("epm", &svc, err));
	EXPECT_NE(NULL, strstr(err, "endpoint mapper itself"));
	EXPECT_EQ(-1, follow("emsmdb,nspi,rfr,asyncemsmdb,"
			     "00000001-0000-0000-0000-000000000000:1.0,"
			     "00000002-0000-0000-0000-000000000000:1.0,"
			     "00000003-0000-0000-0000-000000000000:1.0,"
			     "00000004-0000-0000-0000-000000000000:1.0,"
			     "00000005-0000-0000-0000-000000000000:1.0",
			     &svc, err));
	EXPECT_NE(NULL, strstr(err, "more than 8"));
}

TEST_HARNESS_MAIN
