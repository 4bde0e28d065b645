/* bottle.json "bottles": the named profiles (struct cfg_profile in config/policy.h). */
#ifndef BOTTLE_CONFIG_PROFILES_H
#define BOTTLE_CONFIG_PROFILES_H

#include <cJSON.h>

#include "config/error.h"
#include "config/policy.h"

/* Parses the "bottles" object into cfg->profiles; one line naming the entry on error. */
int cfg_parse_bottles(struct bottle_config *cfg, const cJSON *obj, const char *source,
                      bottle_error_t *err);

#endif
