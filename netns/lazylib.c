#include "netns/lazylib.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>

void *lazylib_symbol(struct lazylib *lib, const char *name)
{
  if (lib->handle == NULL && !lib->failed) {
    lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
    if (lib->handle == NULL) {
      lib->failed = true;
      fprintf(stderr, "bottle: cannot load %s: %s\n", lib->soname, dlerror());
    }
  }
  if (lib->handle == NULL)
    return NULL;
  void *fn = dlsym(lib->handle, name);
  if (fn == NULL)
    fprintf(stderr, "bottle: %s has no %s: %s\n", lib->soname, name, dlerror());
  return fn;
}
