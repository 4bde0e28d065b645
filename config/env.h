/* Environments as data: the runtime passes its own environ or a container's process.env, so
 * config/ never calls getenv and tests stay hermetic. */
#ifndef BOTTLE_CONFIG_ENV_H
#define BOTTLE_CONFIG_ENV_H

/* The value of name in a NULL-terminated "K=V" array (NULL array allowed), first match as
 * getenv(3) does, or NULL. */
const char *env_lookup(char *const *env, const char *name);

#endif
