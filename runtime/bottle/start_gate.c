#include "runtime/container/container.h"
#include "runtime/bottle/start_gate.h"

#include <time.h>

#include "netns/netns.h"
#include "runtime/lib/log.h"
#include "runtime/bottle/sidecar.h"
#include "runtime/lib/util.h"

/* The proxy answered create's probe moments ago: a proxy that takes longer now is not the
 * one create saw. */
#define HEALTH_TIMEOUT_MS 2000

static double mono_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int start_gate(const struct container *c, bottle_error_t *err)
{
  if (c->bottle == NULL)
    return 0;
  double t0 = mono_ms();
  const char *name = json_str(c->bottle, "netns", NULL);
  int port = json_int(c->bottle, "proxy_port", 0);
  if (name == NULL || port <= 0 || port > 65535)
    return berr(err, 0,
                "start gate: the bottle's record names no netns or proxy_port (made by an older "
                "bottle): delete the container and create it again");
  struct netns_topology topo;
  if (netns_load(NULL, name, &topo, err) < 0 || netns_load_libraries(err) < 0 ||
      netns_check_boundary(&topo, (unsigned)port, err) < 0)
    return berr_wrap(err, "start gate");
  /* A record made before sidecar.readiness has none: pipelock's /health, as then. */
  const char *readiness = json_str(c->bottle, "readiness", SIDECAR_PIPELOCK_HEALTH);
  if (sidecar_check_health(topo.agent_netns, topo.sidecar_ip, (unsigned)port, readiness,
                           HEALTH_TIMEOUT_MS, err) < 0)
    return berr_wrap(err, "start gate");
  log_msg(LOG_DEBUG, "start gate %s: the boundary holds (%.2f ms)", c->id, mono_ms() - t0);
  return 0;
}
