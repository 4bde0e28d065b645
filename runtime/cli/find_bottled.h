/* A bottled container named as a Docker or podman user names it: its id, a unique id prefix or
 * its engine's name, in every state root the engines give bottle, or in one. */
#ifndef BOTTLE_FIND_BOTTLED_H
#define BOTTLE_FIND_BOTTLED_H

/* Looks under root (NULL: every engine's state root) for the one bottled container query names
 * (Docker's and podman's order: an exact id, then a name, then a unique id prefix); sets *root_out
 * and *id_out (malloc'd) and returns 0, or prints one line (ambiguous, with the candidates;
 * unknown, with the roots searched) and returns -1. */
int find_bottled(const char *root, const char *query, char **root_out, char **id_out);

#endif
