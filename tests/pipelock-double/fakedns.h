/* A counting DNS server for the double's own tests (not part of pipelock):
 * answers A queries for NAME=IPV4 pairs, NXDOMAIN otherwise, and appends every
 * query name to a log file so a test can prove which names were resolved. */
#ifndef PIPELOCK_DOUBLE_FAKEDNS_H
#define PIPELOCK_DOUBLE_FAKEDNS_H

int fake_dns_main(int argc, char **argv);

#endif
