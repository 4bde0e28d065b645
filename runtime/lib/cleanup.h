/* Scope-bound ownership: a variable marked with one of these is released
 * when it goes out of scope, so error paths cannot leak it. Hand ownership
 * on with take_ptr()/take_fd(). */
#ifndef BOTTLE_CLEANUP_H
#define BOTTLE_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cJSON.h>

static inline void cleanup_freep(void *p)
{
  free(*(void **)p);
}
static inline void cleanup_closep(int *fd)
{
  if (*fd >= 0)
    close(*fd);
}
static inline void cleanup_fclosep(FILE **f)
{
  if (*f)
    fclose(*f);
}
static inline void cleanup_cjsonp(cJSON **j)
{
  cJSON_Delete(*j);
}

#define cleanup_free __attribute__((cleanup(cleanup_freep)))
#define cleanup_close __attribute__((cleanup(cleanup_closep)))
#define cleanup_fclose __attribute__((cleanup(cleanup_fclosep)))
#define cleanup_cjson __attribute__((cleanup(cleanup_cjsonp)))

#define take_ptr(p)                                                                                \
  ({                                                                                               \
    __typeof__(p) taken_ = (p);                                                                    \
    (p) = NULL;                                                                                    \
    taken_;                                                                                        \
  })
#define take_fd(fd)                                                                                \
  ({                                                                                               \
    int taken_ = (fd);                                                                             \
    (fd) = -1;                                                                                     \
    taken_;                                                                                        \
  })

#endif
