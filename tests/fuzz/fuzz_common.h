/* Invariants shared by the config fuzzers: they abort (a libFuzzer crash) when one fails. */
#ifndef BOTTLE_FUZZ_COMMON_H
#define BOTTLE_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config/hostname.h"
#include "config/policy.h"

#define FUZZ_ASSERT(cond)                                                                          \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);                 \
      abort();                                                                                     \
    }                                                                                              \
  } while (0)

/* An error is one printable line. */
static inline void fuzz_check_error(const bottle_error_t *err)
{
  FUZZ_ASSERT(err->set && err->msg[0] != '\0');
  for (const char *p = err->msg; *p; p++)
    FUZZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f);
}

/* Sorted, unique, each entry already normalised. */
static inline void fuzz_check_hostlist(const struct cfg_strlist *list)
{
  for (size_t i = 0; i < list->len; i++) {
    char out[CFG_HOST_MAX + 1];
    enum cfg_host_kind kind;
    const char *why;
    const char *h = list->items[i];
    FUZZ_ASSERT(host_normalize(h, strlen(h), out, &kind, &why) == 0);
    FUZZ_ASSERT(strcmp(out, h) == 0);
    if (i > 0)
      FUZZ_ASSERT(strcmp(list->items[i - 1], h) < 0);
  }
}

/* The YAML parses as exactly one document whose api_allowlist holds the policy's hosts. */
static inline void fuzz_check_yaml(const struct bottle_policy *pol)
{
  bottle_error_t err = {0};
  size_t len = 0;
  char *yaml = cfg_pipelock_yaml(pol, "10.231.0.1", 8888, &len, &err);
  if (pol->allowlist.len == 0) {
    FUZZ_ASSERT(yaml == NULL);
    return;
  }
  FUZZ_ASSERT(yaml != NULL);
  yaml_parser_t parser;
  yaml_event_t ev;
  FUZZ_ASSERT(yaml_parser_initialize(&parser));
  yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
  int documents = 0, depth = 0;
  size_t api_seen = 0;
  bool in_api = false, expect_api = false;
  for (bool done = false; !done;) {
    FUZZ_ASSERT(yaml_parser_parse(&parser, &ev));
    FUZZ_ASSERT(ev.type != YAML_ALIAS_EVENT);
    documents += ev.type == YAML_DOCUMENT_START_EVENT;
    if (ev.type == YAML_MAPPING_START_EVENT || ev.type == YAML_SEQUENCE_START_EVENT) {
      depth++;
      in_api = expect_api && ev.type == YAML_SEQUENCE_START_EVENT;
      expect_api = false;
    } else if (ev.type == YAML_MAPPING_END_EVENT || ev.type == YAML_SEQUENCE_END_EVENT) {
      depth--;
      in_api = false;
    } else if (ev.type == YAML_SCALAR_EVENT) {
      const char *v = (const char *)ev.data.scalar.value;
      if (in_api) {
        FUZZ_ASSERT(api_seen < pol->allowlist.len);
        FUZZ_ASSERT(strcmp(v, pol->allowlist.items[api_seen]) == 0);
        FUZZ_ASSERT(ev.data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE);
        api_seen++;
      } else {
        expect_api = depth == 1 && strcmp(v, "api_allowlist") == 0;
      }
    }
    done = ev.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&parser);
  FUZZ_ASSERT(documents == 1);
  FUZZ_ASSERT(api_seen == pol->allowlist.len);
  /* Values are all quoted, so these can only be keys. */
  FUZZ_ASSERT(strncmp(yaml, "internal:", 9) != 0 && strstr(yaml, "\ninternal:") == NULL);
  FUZZ_ASSERT(strstr(yaml, "\nsentry:") == NULL && strstr(yaml, " action:") == NULL);
  free(yaml);
}

/* Everything a resolved policy offers, checked. */
static inline void fuzz_check_policy(const struct bottle_config *cfg,
                                     const struct bottle_policy *pol)
{
  fuzz_check_hostlist(&pol->allowlist);
  fuzz_check_hostlist(&pol->trusted_domains);
  for (size_t i = 0; i < pol->n_ssh; i++)
    FUZZ_ASSERT(strlist_contains(&pol->allowlist, pol->ssh[i].hostname));
  fuzz_check_yaml(pol);
  char *line = cfg_summary(pol);
  FUZZ_ASSERT(line != NULL && strstr(line, "allowed") != NULL);
  free(line);
  bottle_error_t err = {0};
  char **argv = cfg_sidecar_argv(cfg, "10.231.0.1", cfg->sidecar_port, &err);
  FUZZ_ASSERT(argv != NULL && argv[0] != NULL && argv[0][0] == '/');
  cfg_argv_free(argv);
}

#endif
