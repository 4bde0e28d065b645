/* bottle.json "agent": what a bottled agent may keep that would otherwise refuse it
 * (struct cfg_agent in config/policy.h). */
#ifndef BOTTLE_CONFIG_AGENT_CONFIG_H
#define BOTTLE_CONFIG_AGENT_CONFIG_H

#include <cJSON.h>

#include "config/error.h"
#include "config/policy.h"

int cfg_parse_agent(struct cfg_agent *a, const cJSON *obj, const char *source, bottle_error_t *err);
void cfg_agent_free(struct cfg_agent *a);

#endif
