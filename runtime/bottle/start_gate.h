/* The start gate of a bottled container: after create has built everything and before start
 * releases the agent's first instruction, the boundary is read back from the kernel and the
 * proxy asked how it runs (docs/design.md, "Start gate"). */
#ifndef BOTTLE_START_GATE_H
#define BOTTLE_START_GATE_H

#include "runtime/lib/error.h"
#include "runtime/container/container.h"

/* 0 when c is plain or every invariant holds; else one line "start gate: <invariant>: ...",
 * and the container stays created (delete removes it). */
int start_gate(const struct container *c, bottle_error_t *err);

#endif
