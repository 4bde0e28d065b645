#include "runtime/bottle/lazylib.h"

#include <dlfcn.h>
#include <stddef.h>

#include "runtime/lib/log.h"

void *lazylib_symbol(struct lazylib *lib, const char *name)
{
  if (lib->handle == NULL && !lib->failed) {
    lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
    if (lib->handle == NULL) {
      lib->failed = true;
      log_msg(LOG_ERROR, "cannot load %s: %s", lib->soname, dlerror());
    }
  }
  if (lib->handle == NULL)
    return NULL;
  void *fn = dlsym(lib->handle, name);
  if (fn == NULL)
    log_msg(LOG_ERROR, "%s has no %s: %s", lib->soname, name, dlerror());
  return fn;
}
