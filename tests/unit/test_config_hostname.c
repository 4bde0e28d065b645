/* Hostname, IPv4 and CIDR validation and the comma-separated lists of annotations and env. */
#include <string.h>

#include "config/error.h"
#include "config/hostlist.h"
#include "config/hostname.h"
#include "config/ipv4.h"
#include "tests/unit/unit.h"

static const char *normalize(const char *in, enum cfg_host_kind *kind)
{
  static char out[CFG_HOST_MAX + 1];
  const char *why;
  enum cfg_host_kind k;
  if (host_normalize(in, strlen(in), out, &k, &why) < 0)
    return NULL;
  if (kind)
    *kind = k;
  return out;
}

static const char *reason(const char *in, size_t len)
{
  char out[CFG_HOST_MAX + 1];
  enum cfg_host_kind kind;
  const char *why = NULL;
  if (host_normalize(in, len, out, &kind, &why) == 0)
    return "(accepted)";
  return why;
}

#define REASON(s) reason(s, strlen(s))

static void test_accepts_and_normalises(void)
{
  enum cfg_host_kind kind = CFG_HOST_IPV4;
  CHECK_STREQ(normalize("api.anthropic.com", &kind), "api.anthropic.com");
  CHECK(kind == CFG_HOST_NAME);
  CHECK_STREQ(normalize("API.Anthropic.COM", NULL), "api.anthropic.com");
  CHECK_STREQ(normalize("example.com.", NULL), "example.com");
  CHECK_STREQ(normalize("localhost", NULL), "localhost");
  CHECK_STREQ(normalize("my_host-1.example.com", NULL), "my_host-1.example.com");
  CHECK_STREQ(normalize("*.Example.com.", &kind), "*.example.com");
  CHECK(kind == CFG_HOST_WILDCARD);
  CHECK_STREQ(normalize("*.co.uk", NULL), "*.co.uk");
  CHECK_STREQ(normalize("10.20.0.5", &kind), "10.20.0.5");
  CHECK(kind == CFG_HOST_IPV4);
  CHECK_STREQ(normalize("0.0.0.0", NULL), "0.0.0.0");
  CHECK_STREQ(normalize("255.255.255.255.", NULL), "255.255.255.255");
  CHECK_STREQ(normalize("1password.com", NULL), "1password.com");
  CHECK_STREQ(normalize("host.123abc", NULL), "host.123abc");
}

static void test_length_limits(void)
{
  char label63[64], label64[65], name[300];
  memset(label63, 'a', 63);
  label63[63] = '\0';
  memset(label64, 'a', 64);
  label64[64] = '\0';
  snprintf(name, sizeof(name), "%s.com", label63);
  CHECK(normalize(name, NULL) != NULL);
  snprintf(name, sizeof(name), "%s.com", label64);
  CHECK_CONTAINS(REASON(name), "label longer than 63");
  /* 4 x 63 + 3 dots = 255 > 253; 3 x 63 + 61 + 3 dots = 253 */
  snprintf(name, sizeof(name), "%s.%s.%s.%.61s", label63, label63, label63, label63);
  CHECK(strlen(name) == 253);
  CHECK(normalize(name, NULL) != NULL);
  snprintf(name, sizeof(name), "%s.%s.%s.%.62s", label63, label63, label63, label63);
  CHECK_CONTAINS(REASON(name), "longer than 253");
  /* The trailing root dot does not count. */
  snprintf(name, sizeof(name), "%s.%s.%s.%.61s.", label63, label63, label63, label63);
  CHECK(normalize(name, NULL) != NULL);
}

static void test_rejections_with_reasons(void)
{
  CHECK_CONTAINS(REASON(""), "is empty");
  CHECK_CONTAINS(REASON("."), "is empty");
  CHECK_CONTAINS(REASON(".example.com"), "empty label");
  CHECK_CONTAINS(REASON("a..example.com"), "empty label");
  CHECK_CONTAINS(REASON("example.com.."), "empty label");
  CHECK_CONTAINS(REASON("*"), "bare '*'");
  CHECK_CONTAINS(REASON("*.com"), "whole top-level domain");
  CHECK_CONTAINS(REASON("*.com."), "whole top-level domain");
  CHECK_CONTAINS(REASON("*example.com"), "'*' somewhere other than a leading");
  CHECK_CONTAINS(REASON("a.*.example.com"), "'*' somewhere other than a leading");
  CHECK_CONTAINS(REASON("example.*"), "'*' somewhere other than a leading");
  CHECK_CONTAINS(REASON("*.*.example.com"), "'*' somewhere other than a leading");
  CHECK_CONTAINS(REASON("https://example.com"), "is a URL");
  CHECK_CONTAINS(REASON("example.com/path"), "contains '/'");
  CHECK_CONTAINS(REASON("10.0.0.0/8"), "contains '/'");
  CHECK_CONTAINS(REASON("example.com:443"), "has a port");
  CHECK_CONTAINS(REASON("10.0.0.5:22"), "has a port");
  CHECK_CONTAINS(REASON("example .com"), "contains a space");
  CHECK_CONTAINS(REASON(" example.com"), "contains a space");
  CHECK_CONTAINS(REASON("exa\tmple.com"), "control character");
  CHECK_CONTAINS(REASON("example.com\n"), "control character");
  CHECK_CONTAINS(REASON("exa\x7fmple.com"), "control character");
  CHECK_CONTAINS(reason("a\0b.com", 7), "control character");
  CHECK_CONTAINS(REASON("::1"), "IPv6 literal");
  CHECK_CONTAINS(REASON("2001:db8::1"), "IPv6 literal");
  CHECK_CONTAINS(REASON("[2001:db8::1]"), "IPv6 literal");
  CHECK_CONTAINS(REASON("[::1]:443"), "IPv6 literal");
  CHECK_CONTAINS(REASON("user@example.com"), "contains '@'");
  CHECK_CONTAINS(REASON("ex!ample.com"), "character other than");
  CHECK_CONTAINS(REASON("ex?ample.com"), "character other than");
  CHECK_CONTAINS(REASON("bücher.de"), "non-ASCII");
  CHECK_CONTAINS(REASON("\"example.com\""), "character other than");
}

static void test_ipv4_literals(void)
{
  CHECK_CONTAINS(REASON("010.0.0.5"), "not a canonical dotted quad");
  CHECK_CONTAINS(REASON("10.0.0.05"), "not a canonical dotted quad");
  CHECK_CONTAINS(REASON("256.1.1.1"), "not a canonical dotted quad");
  CHECK_CONTAINS(REASON("1.2.3"), "not a canonical dotted quad");
  CHECK_CONTAINS(REASON("1.2.3.4.5"), "not a canonical dotted quad");
  CHECK_CONTAINS(REASON("167772165"), "not a canonical dotted quad");
  CHECK_CONTAINS(REASON("0x0a.0.0.5"), "not a canonical dotted quad");
  CHECK_CONTAINS(REASON("example.123"), "not a canonical dotted quad");
  CHECK_CONTAINS(REASON("*.0.0.5"), "wildcard over an IP address");
  CHECK_CONTAINS(REASON("*.10.0.0.5"), "wildcard over an IP address");

  uint32_t addr = 0;
  CHECK(ipv4_parse("192.0.2.1", 9, &addr) == 0 && addr == 0xc0000201u);
  CHECK(ipv4_parse("192.0.2.1x", 10, &addr) < 0);
  CHECK(ipv4_parse("1234.0.0.1", 10, &addr) < 0);
  CHECK(ipv4_parse("1..2.3", 6, &addr) < 0);
  CHECK(ipv4_parse("", 0, &addr) < 0);
  char text[CFG_IPV4_STRLEN];
  ipv4_format(0xc0000201u, text);
  CHECK_STREQ(text, "192.0.2.1");
}

static void test_cidrs(void)
{
  struct cfg_ipv4_net net;
  const char *why = NULL;
  CHECK(ipv4_net_parse("10.231.0.0/24", &net, &why) == 0);
  CHECK(net.addr == 0x0ae70000u && net.prefix == 24);
  CHECK_STREQ(net.text, "10.231.0.0/24");
  CHECK(ipv4_net_parse("10.20.0.5/32", &net, &why) == 0);
  CHECK(ipv4_net_parse("0.0.0.0/0", &net, &why) == 0);
  CHECK(ipv4_net_parse("10.231.0.1/24", &net, &why) < 0);
  CHECK_CONTAINS(why, "host bits set");
  CHECK(ipv4_net_parse("10.231.0.0", &net, &why) < 0);
  CHECK_CONTAINS(why, "no prefix length");
  CHECK(ipv4_net_parse("10.231.0.0/33", &net, &why) < 0);
  CHECK_CONTAINS(why, "above 32");
  CHECK(ipv4_net_parse("10.231.0.0/024", &net, &why) < 0);
  CHECK_CONTAINS(why, "invalid prefix length");
  CHECK(ipv4_net_parse("10.231.0.0/", &net, &why) < 0);
  CHECK(ipv4_net_parse("10.231.0.0/2x", &net, &why) < 0);
  CHECK(ipv4_net_parse("010.231.0.0/24", &net, &why) < 0);
  CHECK_CONTAINS(why, "not a canonical IPv4 CIDR");

  struct cfg_ipv4_net a, b;
  CHECK(ipv4_net_parse("10.0.0.0/8", &a, &why) == 0 &&
        ipv4_net_parse("10.5.0.0/16", &b, &why) == 0);
  CHECK(ipv4_nets_overlap(&a, &b) && ipv4_nets_overlap(&b, &a));
  CHECK(ipv4_net_parse("10.231.0.0/24", &a, &why) == 0 &&
        ipv4_net_parse("10.232.0.0/16", &b, &why) == 0);
  CHECK(!ipv4_nets_overlap(&a, &b));
}

static void test_csv_lists(void)
{
  struct cfg_strlist list = {0};
  bottle_error_t err = {0};
  CHECK(hostlist_add_csv(&list, " B.example.com , a.example.com,b.example.com.", "annotation x",
                         &err) == 0);
  CHECK(list.len == 2);
  CHECK_STREQ(list.items[0], "a.example.com");
  CHECK_STREQ(list.items[1], "b.example.com");
  CHECK(hostlist_add_csv(&list, "", "annotation x", &err) == 0);
  CHECK(hostlist_add_csv(&list, "  ", "annotation x", &err) == 0);
  CHECK(list.len == 2);

  CHECK(hostlist_add_csv(&list, "a.com,,b.com", "annotation bottle.egress.allowlist", &err) < 0);
  CHECK_STREQ(err.msg, "annotation bottle.egress.allowlist entry 2 is empty (a stray comma?); "
                       "separate hosts with single commas");
  berr_clear(&err);
  CHECK(hostlist_add_csv(&list, "a.com,", "env X", &err) < 0);
  CHECK_CONTAINS(err.msg, "env X entry 2 is empty");
  berr_clear(&err);
  CHECK(hostlist_add_csv(&list, "a.com, example.com:443", "container env BOTTLE_EGRESS_ALLOWLIST",
                         &err) < 0);
  CHECK_STREQ(err.msg, "container env BOTTLE_EGRESS_ALLOWLIST entry 2: \"example.com:443\" has a "
                       "port (host:port); ports are not part of the allowlist (every port of an "
                       "allowed host is reachable), write only the host");
  strlist_free(&list);
}

static void test_quote_for_messages(void)
{
  char out[128];
  CHECK_STREQ(cfg_quote("a\"b\\c\n\x01", 7, out, sizeof(out)), "\"a\\\"b\\\\c\\x0a\\x01\"");
  char big[300];
  memset(big, 'x', sizeof(big));
  const char *q = cfg_quote(big, sizeof(big), out, sizeof(out));
  CHECK(strlen(q) < sizeof(out));
  CHECK_CONTAINS(q, "...\"");
}

static void test_first_error_wins(void)
{
  bottle_error_t err = {0};
  CHECK(berr(&err, 0, "first %d", 1) == -1);
  CHECK(berr(&err, 0, "second") == -1);
  CHECK_STREQ(err.msg, "first 1");
  CHECK(berr(NULL, 0, "nowhere") == -1);
}

int main(void)
{
  RUN(test_accepts_and_normalises);
  RUN(test_length_limits);
  RUN(test_rejections_with_reasons);
  RUN(test_ipv4_literals);
  RUN(test_cidrs);
  RUN(test_csv_lists);
  RUN(test_quote_for_messages);
  RUN(test_first_error_wins);
  return unit_finish();
}
